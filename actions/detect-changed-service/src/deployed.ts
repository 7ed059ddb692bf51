/**
 * `compare-to-environment`: which services differ between head and what an environment runs.
 *
 * Each service is compared with the source commit recorded for it in the environment's manifest
 * (on the environment branch of the same remote), not with the previous push. A release run
 * whose pending predecessor was cancelled (GitHub keeps one pending run per concurrency group)
 * therefore still reports the services only that cancelled push changed: dev never ran them.
 */
import { log } from '@sd-actions/action-kit';
import {
  ChangeMatcher,
  COMMIT_SHA_PATTERN,
  render,
  parseManifest,
  show,
  UserError,
  type Config,
  type EnvironmentConfig,
  type ServiceChange,
  type ServiceConfig,
} from '@sd-actions/core';
import type { Git } from '@sd-actions/git';
import { ensureCommit, FETCH, mergeBaseDeepening, type ResolveOptions } from './resolve.js';

export interface DeployedComparison {
  changes: ServiceChange[];
  /** The one recorded commit every compared service shares, else ''. */
  base: string;
  source: string;
  fileCount: number;
}

/** The environment named by the input, or a clear error listing the configured ones. */
export function environmentOf(config: Config, name: string): EnvironmentConfig {
  const env = config.environments.get(name);
  if (!env)
    throw new UserError(
      `Input "compare-to-environment": ${show(name)} is not an environment of the config; expected one of ${[...config.environments.keys()].join(', ')}`,
    );
  return env;
}

/** The environment's manifest text from its branch on the remote; undefined when there is none yet. */
async function fetchManifest(
  git: Git,
  config: Config,
  env: EnvironmentConfig,
  options: ResolveOptions,
  shallow: boolean,
): Promise<string | undefined> {
  const ref = `refs/heads/${env.branch}`;
  // FETCH_HEAD, not a ref of our own: the checkout keeps no trace. Depth 1 only where the
  // checkout is shallow already (a full clone must not become shallow).
  const args = [
    ...FETCH.filter((a) => a !== '--no-write-fetch-head'),
    ...(shallow ? ['--depth=1'] : []),
    '--end-of-options',
    options.remote,
    ref,
  ];
  const fetched = await git.exec(args);
  if (fetched.code !== 0) {
    const listed = await git.exec(['ls-remote', '--exit-code', '--end-of-options', options.remote, ref]);
    // ls-remote exits 2 when the remote answered and has no such branch.
    if (listed.code === 2) return undefined;
    throw new UserError(
      `Could not read ${env.name}'s branch ${show(env.branch)} from ${options.remote}: ${fetched.stderr.toString().trim().split('\n').pop() ?? ''}; the detect job needs \`contents: read\` and the checkout's credentials`,
    );
  }
  const tip = await git.run(['rev-parse', '--verify', 'FETCH_HEAD^{commit}']);
  const path = render(config.manifests, { environment: env.name });
  const shown = await git.exec(['show', `${tip}:${path}`]);
  return shown.code === 0 ? shown.stdout.toString('utf8') : undefined;
}

const all = (detail: string) => ({ kind: 'all' as const, detail });

/**
 * Per service: changed when it was never deployed to the environment, when its recorded commit is
 * not in head's history (warned), or when the diff from that commit to head marks it.
 */
export async function compareToEnvironment(
  git: Git,
  config: Config,
  env: EnvironmentConfig,
  head: string,
  shallow: boolean,
  options: ResolveOptions,
): Promise<DeployedComparison> {
  const text = await fetchManifest(git, config, env, options, shallow);
  const manifestName = `${env.branch}:${render(config.manifests, { environment: env.name })}`;
  const entries = text === undefined ? new Map() : parseManifest(text, manifestName).services;

  const changes: ServiceChange[] = [];
  const byCommit = new Map<string, ServiceConfig[]>();
  for (const service of config.services.values()) {
    const commit = entries.get(service.name)?.commit;
    if (commit === undefined) changes.push({ service, reason: all(`never deployed to ${env.name}`) });
    else if (!COMMIT_SHA_PATTERN.test(commit)) {
      log.warning(
        `${manifestName}: services.${service.name}.commit ${show(commit)} is not a commit SHA; reporting ${service.name} as changed`,
        { title: `sd-actions: ${service.name}` },
      );
      changes.push({ service, reason: all(`${env.name} records no valid commit`) });
    } else byCommit.set(commit, [...(byCommit.get(commit) ?? []), service]);
  }

  const matcher = new ChangeMatcher(config);
  let fileCount = 0;
  for (const [commit, services] of byCommit) {
    const short = commit.slice(0, 12);
    const notInHistory = (why: string) => {
      log.warning(
        `${env.name} runs ${services.map((s) => s.name).join(', ')} at ${short}, which ${why}; reporting ${services.length === 1 ? 'it' : 'them'} as changed`,
        { title: `Deployed commit not in history` },
      );
      for (const service of services)
        changes.push({ service, reason: all(`${env.name} runs ${short}, ${why}`) });
    };
    if (commit === head) continue;
    const local = await ensureCommit(git, commit, options.remote, shallow);
    if (!local) {
      notInHistory(`is not in this repository or on ${options.remote}`);
      continue;
    }
    let mergeBase: string;
    try {
      mergeBase = await mergeBaseDeepening(git, commit, head, options, shallow);
    } catch (err) {
      notInHistory(`shares no history with head (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    if (mergeBase === head) continue; // the environment runs a newer commit than head
    if (mergeBase !== commit) {
      notInHistory(`is not an ancestor of head ${head.slice(0, 12)}`);
      continue;
    }
    const files = (await git.diffNameStatus(commit, head)) as Parameters<ChangeMatcher['match']>[0];
    fileCount += files.length;
    const wanted = new Set(services.map((s) => s.name));
    for (const change of matcher.match(files)) if (wanted.has(change.service.name)) changes.push(change);
  }
  changes.sort((a, b) => (a.service.name < b.service.name ? -1 : a.service.name > b.service.name ? 1 : 0));
  const commits = [...byCommit.keys()];
  return {
    changes,
    base: commits.length === 1 && changes.every((c) => c.reason.kind !== 'all') ? (commits[0] ?? '') : '',
    source: `compared with what ${env.name} runs (${manifestName})`,
    fileCount,
  };
}
