import { requireEnvironment, UserError, type ApprovalBinding, type ApprovalPolicy } from '@sd-actions/core';
import { log, timestamp, type loadConfigFile, type readContext } from '@sd-actions/action-kit';
import { ScratchRepo } from '@sd-actions/git';
import { readEnvironment, resolveRemote } from '@sd-actions/gitops';
import { ensureRequest, getRun, type GitHubClient, type RepoRef } from '@sd-actions/github';
import { commitsBetween, type Changes } from './changes.js';

export interface RequestArgs {
  context: ReturnType<typeof readContext>;
  workspace: string;
  token: string;
  config: Awaited<ReturnType<typeof loadConfigFile>>;
  service: { name: string; path: string };
  environment: Parameters<typeof readEnvironment>[2] & { name: string; from?: string };
  policy: ApprovalPolicy;
  client: GitHubClient;
  repo: RepoRef;
  login: string;
  digestInput: string | undefined;
  versionInput: string | undefined;
}

/** Steps 2 + 3: the artifact and the request (the open one for this digest, or a new one); its number. */
export async function openRequest(args: RequestArgs): Promise<number> {
  const { context, workspace, token, config, service, environment, policy, client, repo, login } = args;
  let digest = args.digestInput;
  let version = args.versionInput;
  const needFrom = digest === undefined || version === undefined;
  if (needFrom && environment.from === undefined)
    throw new UserError(
      `Input "digest": required for ${environment.name}, which has no from environment to take the artifact from`,
    );
  // The manifests: the artifact (when not given) and, for the body, what runs in the target now.
  let changes: Changes = {};
  let scratch: ScratchRepo | undefined;
  try {
    try {
      const remote = await resolveRemote(workspace, 'origin', token);
      scratch = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
    } catch (err) {
      if (needFrom) throw err;
      changes.note = `the environment manifests cannot be read (${(err as Error).message})`;
    }
    if (scratch) {
      const fromEnv = environment.from
        ? requireEnvironment(config, environment.from, 'environment')
        : undefined;
      const entry = fromEnv ? (await readEnvironment(scratch, config, fromEnv)).get(service.name) : undefined;
      if (needFrom) {
        if (!entry?.digest || !entry.version)
          throw new UserError(
            `${service.name} is not deployed in ${fromEnv!.name}, so there is nothing to approve for ${environment.name}; pass digest and version`,
          );
        if (digest !== undefined && digest !== entry.digest)
          throw new UserError(
            `Input "digest": ${digest} is not what ${fromEnv!.name} runs (${entry.digest}); pass version too, or no digest`,
          );
        digest = entry.digest;
        version ??= entry.version;
      }
      changes = await describeChanges(scratch, workspace, config, environment, service, {
        digest: digest!,
        commit: entry?.digest === digest ? entry?.commit : undefined,
      });
    }
  } finally {
    await scratch?.dispose();
  }
  if (changes.note) log.info(`The request lists no commits: ${changes.note}`);
  const runId = Number(process.env.GITHUB_RUN_ID);
  let requester = context.actor;
  let triggeringActor = process.env.GITHUB_TRIGGERING_ACTOR || context.actor;
  if (runId > 0) {
    try {
      const run = await getRun(client, repo, runId);
      requester = run.actor || requester;
      triggeringActor = run.triggeringActor || triggeringActor;
    } catch (err) {
      log.info(`Could not read run ${runId} (${(err as Error).message}); using GITHUB_ACTOR`);
    }
  }
  if (!requester) throw new UserError('GITHUB_ACTOR is not set: who asks for this approval is unknown');
  const binding: ApprovalBinding = {
    service: service.name,
    environment: environment.name,
    version: version!,
    digest: digest!,
    requester,
    triggeringActor,
    run: context.runUrl ?? `run ${context.runId}`,
    ...(environment.from ? { from: environment.from } : {}),
    requestedAt: timestamp(),
  };
  const made = await ensureRequest(client, repo, {
    binding,
    body: {
      ...(changes.currentVersion ? { currentVersion: changes.currentVersion } : {}),
      ...(changes.commits ? { commits: changes.commits } : {}),
      ...(changes.totalCommits !== undefined ? { totalCommits: changes.totalCommits } : {}),
      count: policy.count,
      approvers: [...policy.users, ...policy.teams],
      ...(policy.timeout ? { timeout: policy.timeout } : {}),
    },
    gateLogin: login,
  });
  const number = made.issue.number;
  log.info(
    `${made.created ? 'Opened' : 'Reusing'} approval request #${number} for ${service.name} ${made.binding.version} in ${environment.name}`,
  );
  for (const old of made.superseded) log.info(`Closed #${old} as superseded`);
  for (const orphan of made.orphans)
    log.info(`Closed #${orphan}: it was left without its binding comment by an earlier run`);
  return number;
}

/** What runs in the target now, and the commits of the service's path since its source commit. */
async function describeChanges(
  scratch: ScratchRepo,
  workspace: string,
  config: Parameters<typeof readEnvironment>[1],
  environment: Parameters<typeof readEnvironment>[2],
  service: { name: string; path: string },
  next: { digest: string; commit?: string },
): Promise<Changes> {
  try {
    const current = (await readEnvironment(scratch, config, environment)).get(service.name);
    if (!current?.version) return { note: `${service.name} does not run in ${environment.name} yet` };
    if (current.digest === next.digest) return { currentVersion: current.version, commits: [] };
    return {
      currentVersion: current.version,
      ...(await commitsBetween(workspace, current.commit, next.commit, service.path)),
    };
  } catch (err) {
    return { note: (err as Error).message };
  }
}
