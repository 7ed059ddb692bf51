/**
 * The runner's context, read from the environment the runner sets. Kept to what we need so
 * actions do not pay for @actions/github at start-up.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '@sd-actions/core';

export interface RunnerContext {
  eventName: string;
  payload: Record<string, unknown>;
  sha: string;
  ref: string;
  workspace: string;
  repository: string;
  serverUrl: string;
  runId: string;
  actor: string;
  /** Link to this workflow run, when the runner told us enough to build one. */
  runUrl?: string;
}

export function readContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  let payload: Record<string, unknown> = {};
  const path = env.GITHUB_EVENT_PATH;
  if (path) {
    try {
      payload = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UserError(
        `GITHUB_EVENT_PATH ${JSON.stringify(path)} could not be read as JSON: ${(err as Error).message}`,
      );
    }
  }
  const serverUrl = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repository = env.GITHUB_REPOSITORY ?? '';
  const runId = env.GITHUB_RUN_ID ?? '';
  return {
    eventName: env.GITHUB_EVENT_NAME ?? '',
    payload,
    sha: env.GITHUB_SHA ?? '',
    ref: env.GITHUB_REF ?? '',
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    repository,
    serverUrl,
    runId,
    actor: env.GITHUB_ACTOR ?? '',
    runUrl: repository && runId ? `${serverUrl}/${repository}/actions/runs/${runId}` : undefined,
  };
}

/** Read a nested string from an event payload without trusting its shape. */
export function payloadString(payload: unknown, ...keys: string[]): string | undefined {
  let cur: unknown = payload;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'string' ? cur : undefined;
}
