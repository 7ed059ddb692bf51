/**
 * The status view from the command line: every environment's manifest, quarantine and ledger read
 * from the remote's GitOps branches; open approval requests from GitHub when a token and the
 * repository are known (skipped quietly otherwise); source-commit ancestry from the local checkout.
 */
import {
  DEFAULT_CONFIG_PATH,
  historyOf,
  renderHistoryText,
  renderStatusHtml,
  renderStatusViewText,
  UserError,
  type Config,
  type HistoryRow,
  type PendingApproval,
  type StatusView,
} from '@sd-actions/core';
import { Git, ScratchRepo } from '@sd-actions/git';
import {
  loadRepoConfig,
  readDeployed,
  readStatusView as readGitOpsStatusView,
  resolveRemote,
  type Deployed,
} from '@sd-actions/gitops';
import { createGitHubClient, parseRepository, readPendingForStatus } from '@sd-actions/github';

export interface StatusOptions {
  repo: string;
  config?: string;
  remote?: string;
}

export interface GitHubAccess {
  /** A token that can read issues (--token, else GITHUB_TOKEN). */
  token?: string;
  /** owner/name (--github-repo, else GITHUB_REPOSITORY, else the remote's github.com URL). */
  repository?: string;
  /** The API base URL (--api-url, else GITHUB_API_URL, else https://api.github.com). */
  apiUrl?: string;
}

async function loadConfig(options: StatusOptions): Promise<Config> {
  // Reading what runs where never touches the registry: fine in any CI.
  return loadRepoConfig(options.repo, options.config ?? DEFAULT_CONFIG_PATH, { label: '--config' });
}

/** owner/name from a github.com remote URL (https or ssh), else undefined. */
export function repositoryFromUrl(url: string): string | undefined {
  const m =
    /^(?:https:\/\/(?:[^@/]+@)?github\.com\/|(?:ssh:\/\/)?git@github\.com[:/])([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(
      url,
    );
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** Only what runs where (tips only, no history): the cheap read. */
export async function readStatus(options: StatusOptions): Promise<{ config: Config; deployed: Deployed }> {
  const config = await loadConfig(options);
  const remote = await resolveRemote(options.repo, options.remote ?? 'origin', undefined);
  const scratch = await ScratchRepo.open({ url: remote.url });
  try {
    return { config, deployed: await readDeployed(scratch, config) };
  } finally {
    await scratch.dispose();
  }
}

/** The whole view: branches, ledgers, quarantine, ancestry and (with access) open approval requests. */
export async function readStatusView(
  options: StatusOptions & { github?: GitHubAccess },
): Promise<{ config: Config; view: StatusView }> {
  const config = await loadConfig(options);
  const remote = await resolveRemote(options.repo, options.remote ?? 'origin', undefined);
  let pending: PendingApproval[] | undefined;
  let approvalsNote: string | undefined;
  const gh = options.github;
  const repository = gh?.repository ?? repositoryFromUrl(remote.url);
  if (gh?.token && repository) {
    const client = createGitHubClient({ token: gh.token, ...(gh.apiUrl ? { baseUrl: gh.apiUrl } : {}) });
    const read = await readPendingForStatus(client, parseRepository(repository));
    if ('pending' in read) pending = read.pending;
    else approvalsNote = read.note;
  } else if (!gh?.token)
    approvalsNote = 'Approval requests not checked: no GitHub token (--token or GITHUB_TOKEN).';
  else
    approvalsNote =
      'Approval requests not checked: the repository is unknown (--github-repo OWNER/NAME or GITHUB_REPOSITORY).';
  const scratch = await ScratchRepo.open({ url: remote.url });
  try {
    const view = await readGitOpsStatusView(scratch, config, {
      source: new Git(options.repo),
      ...(pending ? { pending } : {}),
      ...(approvalsNote ? { approvalsNote } : {}),
    });
    return { config, view };
  } finally {
    await scratch.dispose();
  }
}

export async function statusText(
  options: StatusOptions & { maxWidth?: number; github?: GitHubAccess },
): Promise<string> {
  const { view } = await readStatusView(options);
  return renderStatusViewText(view, { maxWidth: options.maxWidth });
}

export interface HistoryQuery {
  service: string;
  /** One environment; every environment when undefined. */
  environment?: string;
}

/** The ledger of a service, per environment, newest first. */
export function historyFor(
  config: Config,
  view: StatusView,
  query: HistoryQuery,
): { environment: string; service: string; rows: HistoryRow[] }[] {
  if (!config.services.has(query.service))
    throw new UserError(
      `--history ${JSON.stringify(query.service)} is not a service in the config; services: ${[...config.services.keys()].join(', ')}`,
    );
  if (query.environment !== undefined && !config.environments.has(query.environment))
    throw new UserError(
      `--environment ${JSON.stringify(query.environment)} is not an environment in the config; environments: ${[...config.environments.keys()].join(', ')}`,
    );
  const envs = query.environment === undefined ? [...config.environments.keys()] : [query.environment];
  return envs.map((environment) => ({
    environment,
    service: query.service,
    rows: historyOf(view, environment, query.service),
  }));
}

/** `--history` as text: one block per environment. */
export function renderHistoryBlocks(blocks: ReturnType<typeof historyFor>): string {
  return blocks
    .map((b) => `${b.service} in ${b.environment} (newest first):\n${renderHistoryText(b.rows)}`)
    .join('\n');
}

export { renderStatusHtml };
