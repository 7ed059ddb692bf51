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
