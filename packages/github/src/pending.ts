/**
 * Open approval requests for the status view: every open `sd-approval` issue opened by a trusted
 * author whose binding reads back, as (service, environment, version, digest, issue, requester).
 */
import type { PendingApproval } from '@sd-actions/core';
import type { RepoRef } from './adapters.js';
import { ACTIONS_BOT, gateLogin, openRequests } from './approval-requests.js';
import type { GitHubClient } from './client.js';

/**
 * The open requests. Trusted authors: the Actions bot (a workflow's GITHUB_TOKEN opens requests
 * as it), the token's own login, and `extraAuthors` (e.g. an app that runs the gate).
 */
export async function pendingApprovals(
  client: GitHubClient,
  repo: RepoRef,
  extraAuthors: readonly string[] = [],
): Promise<PendingApproval[]> {
  const trusted = [...new Set([ACTIONS_BOT, await gateLogin(client), ...extraAuthors])];
  return (await openRequests(client, repo, trusted)).map(({ issue, binding }) => ({
    service: binding.service,
    environment: binding.environment,
    version: binding.version,
    digest: binding.digest,
    number: issue.number,
    url: issue.url,
    requester: binding.requester,
    requestedAt: binding.requestedAt,
  }));
}

/**
 * For a status view that must not fail on them: the open requests, or why they could not be read
 * (a token without `issues: read`, a repository it cannot see). Other errors still throw.
 */
export async function readPendingForStatus(
  client: GitHubClient,
  repo: RepoRef,
): Promise<{ pending: PendingApproval[] } | { note: string }> {
  try {
    return { pending: await pendingApprovals(client, repo) };
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    if (status === 401 || status === 403 || status === 404)
      return {
        note: `Approval requests not checked: GitHub answered ${status} for ${repo.owner}/${repo.repo}'s issues (the token needs issues: read).`,
      };
    throw err;
  }
}
