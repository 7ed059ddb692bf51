/**
 * await-approval — the production gate in issue mode:
 *   1. inputs and config (nothing is touched on a mistake)
 *   2. the artifact: the given digest, or the `from` environment's entry (what promote would take)
 *   3. the request: the given issue (resume), or the open one for this digest, or a new one
 *   4. decide by the rules of core/approval; when decided, comment the outcome and close the issue
 *   5. `wait: true` polls (cheaply: ETags) until decided or timed out; `wait: false` ends pending
 *   6. with pipeline-name/stage-name/action-name, the decision goes on to CodePipeline's approval
 * `via: codepipeline` instead waits for the pipeline's own approval to be decided in AWS.
 */
import {
  formatDuration,
  parseApprovalSetting,
  parseDuration,
  renderOutcomeComment,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  validateVersion,
  type ApprovalBinding,
  type ApprovalPolicy,
  type ApprovalStatus,
} from '@sd-actions/core';
import {
  code,
  log,
  getBoolean,
  getList,
  getString,
  link,
  loadConfigFile,
  markdownTable,
  now,
  readContext,
  timestamp,
  writeSummary,
} from '@sd-actions/action-kit';
import { CodePipeline } from '@sd-actions/aws';
import { ScratchRepo } from '@sd-actions/git';
import { readEnvironment, resolveRemote } from '@sd-actions/gitops';
import {
  addComment,
  closeIssue,
  createGitHubClient,
  ensureRequest,
  gateLogin,
  getRun,
  parseRepository,
  readRequest,
  readTrustedRequest,
  eligibilityResolver,
  runApprovals,
  type GitHubClient,
  type RepoRef,
  type ReadRequestResult,
} from '@sd-actions/github';
import { forwardDecision, pipelineGate, pipelineInputs, type PipelineTarget } from './bridge.js';
import { commitsBetween, type Changes } from './changes.js';

function durationInput(name: string, min = 1000): { text: string; ms: number } | undefined {
  const text = getString(name);
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms < min)
    throw new UserError(
      `Input "${name}": ${show(text)} is not valid; expected a duration of at least ${formatDuration(min)}, like 30s, 5m or 24h`,
    );
  return { text, ms };
}

/** The `issue` input: a number (`12`, `#12`) or an issue URL. */
function issueInput(): number | undefined {
  const text = getString('issue');
  if (text === undefined) return undefined;
  const n = Number(/^#?(\d+)$/.exec(text)?.[1] ?? /\/issues\/(\d+)$/.exec(text)?.[1]);
  if (!(n > 0))
    throw new UserError(`Input "issue": ${show(text)} is not valid; expected an issue number or URL`);
  return n;
}

function policyFrom(base: ApprovalPolicy): ApprovalPolicy {
  const approvers = getList('approvers');
  const countText = getString('minimum-approvals');
  const timeout = durationInput('timeout');
  if (countText !== undefined && !/^\d+$/.test(countText))
    throw new UserError(
      `Input "minimum-approvals": ${show(countText)} is not valid; expected a whole number`,
    );
  const overridden = parseApprovalSetting({
    count: countText === undefined ? base.count : Number(countText),
    ...(approvers.length > 0
      ? { approvers }
      : base.users.length + base.teams.length > 0
        ? { approvers: [...base.users, ...base.teams] }
        : {}),
    ...(timeout ? { timeout: timeout.text } : base.timeout ? { timeout: base.timeout } : {}),
    via: base.via,
  });
  if ('problem' in overridden) {
    const { path, value, expected } = overridden.problem;
    const input = path[0] === 'count' ? 'minimum-approvals' : path[0] === 'timeout' ? 'timeout' : 'approvers';
    throw new UserError(`Input "${input}": ${show(value)} ${expected}`);
  }
  return overridden.policy;
}

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const token = getString('token', { required: true });
  const membershipToken = getString('membership-token');
  log.setSecret(token);
  if (membershipToken) log.setSecret(membershipToken);

  // 1. Inputs and config. Resuming a request (`issue:`), service and environment may be left out:
  // they come from the request's binding (the record the issue's text cannot rewrite).
  const config = await loadConfigFile(workspace, getString('config') ?? '.github/sd-actions.yml');
  const issueEarly = issueInput();
  let serviceName = getString('service');
  let environmentName = getString('environment');
  if (serviceName === undefined || environmentName === undefined) {
    if (issueEarly === undefined)
      throw new UserError(
        `Input "${serviceName === undefined ? 'service' : 'environment'}": required (it may be left out only with issue:, when resuming a request)`,
      );
    const peek = createGitHubClient({ token });
    const bound = (
      await readTrustedRequest(peek, parseRepository(context.repository), issueEarly, await gateLogin(peek))
    ).binding;
    serviceName ??= bound.service;
    environmentName ??= bound.environment;
  }
  const service = requireService(config, serviceName);
  const environment = requireEnvironment(config, environmentName);
  const base = environment.approval ?? {
    count: environment.approvals,
    users: [],
    teams: [],
    via: 'issue' as const,
  };
  const policy = policyFrom(base);
  const pipeline = pipelineInputs();
  const pollMsEarly = durationInput('poll-interval')?.ms ?? 30_000;
  if (policy.via === 'codepipeline' || (policy.count === 0 && pipeline)) {
    if (!pipeline)
      throw new UserError(
        `${config.file}: environments.${environment.name}.approvals.via is "codepipeline", but the inputs pipeline-name, stage-name and action-name are not given; pass the pipeline's manual approval action`,
      );
    if (getString('issue') !== undefined)
      throw new UserError(
        `Input "issue": not used with via: codepipeline (the pipeline's approval is the request); leave it out`,
      );
    await codePipelineGate(
      pipeline,
      policy,
      pollMsEarly,
      getBoolean('wait', true),
      service.name,
      environment.name,
    );
    return;
  }
  if (policy.count === 0)
    throw new UserError(
      `${config.file}: environments.${environment.name} requires no approvals (approvals: 0); there is nothing to wait for`,
    );
  const versionInput = getString('version');
  if (versionInput !== undefined) validateVersion(versionInput);
  const digestInput = getString('digest');
  if (digestInput !== undefined) validateDigest(digestInput);
  const issueNumber = issueEarly;
  const pollMs = pollMsEarly;
  const wait = getBoolean('wait', true);
  const repo = parseRepository(context.repository);
  const clock = {
    now: () => now().getTime(),
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
  };
  const client = createGitHubClient({
    token,
    clock,
    onWait: (w) => log.info(`GitHub rate limit: waiting ${formatDuration(w.waitMs)} before trying again`),
  });
  const membership = membershipToken ? createGitHubClient({ token: membershipToken, clock }) : undefined;
  if (policy.teams.length > 0 && !membership)
    throw new UserError(
      `approvers lists ${policy.teams.map((t) => show(t)).join(', ')}, but no membership-token was given: the workflow GITHUB_TOKEN cannot read organisation teams; pass a GitHub App or fine-grained token with "Members: read"`,
    );
  if (policy.via === 'environment') {
    if (pipeline)
      throw new UserError(
        'Inputs pipeline-name, stage-name and action-name: not used with via: environment; forward decisions from an issue request (via: issue) instead',
      );
    await environmentGate(client, membership, repo, environment.name, policy);
    return;
  }
  const login = await gateLogin(client);

  // 2 + 3. The request.
  let number: number;
  if (issueNumber !== undefined) {
    number = issueNumber;
  } else {
    let digest = digestInput;
    let version = versionInput;
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
        const entry = fromEnv
          ? (await readEnvironment(scratch, config, fromEnv)).get(service.name)
          : undefined;
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
    number = made.issue.number;
    log.info(
      `${made.created ? 'Opened' : 'Reusing'} approval request #${number} for ${service.name} ${made.binding.version} in ${environment.name}`,
    );
    for (const old of made.superseded) log.info(`Closed #${old} as superseded`);
    for (const orphan of made.orphans)
      log.info(`Closed #${orphan}: it was left without its binding comment by an earlier run`);
  }

  // 4 + 5. Decide, waiting if asked to.
  const read = (): Promise<ReadRequestResult> =>
    readRequest({ repo: client, ...(membership ? { membership } : {}) }, repo, number, {
      policy,
      gateLogin: login,
      nowMs: clock.now(),
    });
  let result = await read();
  const b = result.binding;
  if (b.service !== service.name || b.environment !== environment.name)
    throw new UserError(
      `Input "issue": #${number} asks to approve ${b.service} for ${b.environment}, not ${service.name} for ${environment.name}`,
    );
  if (digestInput !== undefined && b.digest !== digestInput)
    throw new UserError(`Input "issue": #${number} asks to approve ${b.digest}, not ${digestInput}`);
  if (result.issue.state === 'closed' && result.decision.status === 'pending')
    throw new UserError(
      `Input "issue": #${number} was closed without a decision (superseded by a newer request, or closed by hand)`,
    );
  while (wait && result.decision.status === 'pending') {
    let delay = pollMs;
    if (policy.timeoutMs !== undefined)
      delay = Math.max(0, Math.min(delay, Date.parse(b.requestedAt) + policy.timeoutMs - clock.now()));
    await clock.sleep(delay);
    result = await read();
  }
  const { decision, issue } = result;
  // 6. The bridge: the decision goes to the pipeline's pending approval before the issue closes,
  // so a failure leaves the request open and a re-run sends it again.
  let bridged = '';
  if (decision.status !== 'pending' && pipeline) {
    const cp = new CodePipeline();
    const sent = await forwardDecision(cp, pipeline, {
      status: decision.status,
      approvers: decision.approvers,
      deniers: decision.deniers,
      count: policy.count,
      issueUrl: issue.url,
      service: b.service,
      version: b.version,
      environment: b.environment,
    });
    const at = `${pipeline.pipeline}/${pipeline.stage}/${pipeline.action}`;
    bridged = sent.sent
      ? `Sent to CodePipeline ${at} as ${sent.decision}.`
      : `CodePipeline ${at} already has this request's ${sent.decision === 'Approved' ? 'approval' : 'rejection'}.`;
    log.info(bridged);
  }
  if (decision.status !== 'pending' && issue.state === 'open') {
    await addComment(
      client,
      repo,
      number,
      renderOutcomeComment(decision, policy.count) + (bridged ? `\n\n${bridged}` : ''),
    );
    await closeIssue(client, repo, number, decision.status === 'approved' ? 'completed' : 'not_planned');
  }
  report(result, policy, client);
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

/**
 * `via: codepipeline`: the pipeline's manual approval is the request; wait for AWS to decide it.
 * Nothing is written, in GitHub or AWS.
 */
async function codePipelineGate(
  target: PipelineTarget,
  policy: ApprovalPolicy,
  pollMs: number,
  wait: boolean,
  service: string,
  environment: string,
): Promise<void> {
  const cp = new CodePipeline({
    retry: {
      onRetry: (r) =>
        log.info(`CodePipeline ${r.operation}: ${r.reason}; trying again in ${formatDuration(r.delayMs)}`),
    },
  });
  const result = await pipelineGate(cp, target, {
    wait,
    pollMs,
    ...(policy.timeoutMs !== undefined ? { timeoutMs: policy.timeoutMs } : {}),
    clock: {
      now: () => now().getTime(),
      sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
    },
  });
  log.setOutput('status', result.status);
  log.setOutput('approved', String(result.status === 'approved'));
  log.setOutput('approvers', result.approvers.join(','));
  log.setOutput('issue-number', '');
  log.setOutput('issue-url', '');
  log.info(`CodePipeline approval for ${service} in ${environment}: ${result.status}; ${result.detail}`);
  void writeSummary(
    `### Approval: ${service} for ${environment} (CodePipeline)\n\n` +
      markdownTable(
        ['pipeline', 'stage', 'action', 'status', 'decided by'],
        [
          [
            code(target.pipeline),
            code(target.stage),
            code(target.action),
            result.status,
            result.approvers.join(', '),
          ],
        ],
      ),
  );
  if (result.status === 'denied') throw new UserError(`CodePipeline approval denied: ${result.detail}`);
  if (result.status === 'timed-out') throw new UserError(`CodePipeline approval timed out: ${result.detail}`);
}

/**
 * `via: environment`: the job already passed the GitHub environment's required reviewers. Check
 * who released it: an eligible person other than the run's actor and triggering actor (GitHub's
 * own "prevent self-review" is off by default).
 */
async function environmentGate(
  client: GitHubClient,
  membership: GitHubClient | undefined,
  repo: RepoRef,
  environment: string,
  policy: ApprovalPolicy,
): Promise<void> {
  const runId = Number(process.env.GITHUB_RUN_ID);
  if (!(runId > 0))
    throw new UserError('GITHUB_RUN_ID is not set: via: environment reads the reviews of this run');
  const run = await getRun(client, repo, runId);
  const reviews = (await runApprovals(client, repo, runId)).filter((a) =>
    a.environments.includes(environment),
  );
  if (reviews.length === 0)
    throw new UserError(
      `run ${runId} has no review for environment ${show(environment)}: give the GitHub environment required reviewers, or use via: issue`,
    );
  const eligible = eligibilityResolver(policy, repo, { repo: client, ...(membership ? { membership } : {}) });
  const excluded = [run.actor, run.triggeringActor].map((x) => x.toLowerCase());
  const approvers: string[] = [];
  const ignored: string[] = [];
  const deniers: string[] = [];
  for (const review of reviews) {
    if (review.state === 'rejected') deniers.push(review.user);
    if (review.state !== 'approved') continue;
    if (excluded.includes(review.user.toLowerCase())) ignored.push(`${review.user} (requester)`);
    else if (!(await eligible(review.user))) ignored.push(`${review.user} (not-eligible)`);
    else if (!approvers.some((a) => a.toLowerCase() === review.user.toLowerCase()))
      approvers.push(review.user);
  }
  const status: ApprovalStatus =
    deniers.length === 0 && approvers.length >= policy.count ? 'approved' : 'denied';
  log.setOutput('status', status);
  log.setOutput('approved', String(status === 'approved'));
  log.setOutput('approvers', approvers.join(','));
  log.setOutput('issue-number', '');
  log.setOutput('issue-url', '');
  log.info(
    `Environment ${environment} reviews of run ${runId}: ${status}` +
      (approvers.length ? `; approved by ${approvers.join(', ')}` : '') +
      (ignored.length ? `; ignored ${ignored.join(', ')}` : ''),
  );
  if (status !== 'approved')
    throw new UserError(
      deniers.length
        ? `Environment ${environment}: rejected by ${deniers.join(', ')}`
        : `Environment ${environment}: released without an eligible approval (${ignored.join(', ') || 'none'}); the person who asked cannot approve their own promotion`,
    );
}

function report(result: ReadRequestResult, policy: ApprovalPolicy, client: GitHubClient): void {
  const { decision, issue, binding } = result;
  const status: ApprovalStatus = decision.status;
  log.setOutput('status', status);
  log.setOutput('approved', String(status === 'approved'));
  log.setOutput('approvers', decision.approvers.join(','));
  log.setOutput('issue-number', String(issue.number));
  log.setOutput('issue-url', issue.url);
  log.setOutput('service', binding.service);
  log.setOutput('environment', binding.environment);
  log.setOutput('version', binding.version);
  log.setOutput('digest', binding.digest);
  const ignored = decision.ignored.filter((i) => i.reason !== 'replaced');
  log.info(
    `Request #${issue.number}: ${status}; approvals ${decision.approvers.length} of ${policy.count}` +
      (decision.approvers.length ? ` (${decision.approvers.join(', ')})` : '') +
      (decision.deniers.length ? `; denied by ${decision.deniers.join(', ')}` : '') +
      (ignored.length ? `; ignored ${ignored.map((i) => `${i.login} (${i.reason})`).join(', ')}` : '') +
      `; ${client.stats.counted} rate-limited requests, ${client.stats.notModified} answered 304`,
  );
  void writeSummary(
    `### Approval: ${binding.service} ${binding.version} for ${binding.environment}\n\n` +
      markdownTable(
        ['request', 'status', 'digest', 'approved by', 'denied by', 'ignored'],
        [
          [
            link(`#${issue.number}`, issue.url),
            status,
            code(binding.digest),
            decision.approvers.join(', '),
            decision.deniers.join(', '),
            ignored.map((i) => `${i.login} (${i.reason})`).join(', '),
          ],
        ],
      ),
  );
  if (status === 'denied')
    throw new UserError(`Approval request #${issue.number} was denied by ${decision.deniers.join(', ')}`);
  if (status === 'timed-out')
    throw new UserError(
      `Approval request #${issue.number} timed out after ${policy.timeout ?? ''} with ${decision.approvers.length} of ${policy.count} approvals`,
    );
}
