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
  renderOutcomeComment,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  validateVersion,
} from '@sd-actions/core';
import { log, getBoolean, getString, loadConfigFile, now, readContext } from '@sd-actions/action-kit';
import { CodePipeline } from '@sd-actions/aws';
import {
  addComment,
  closeIssue,
  createGitHubClient,
  gateLogin,
  parseRepository,
  readRequest,
  readTrustedRequest,
  type ReadRequestResult,
} from '@sd-actions/github';
import { forwardDecision, pipelineInputs } from './bridge.js';
import { codePipelineGate, environmentGate } from './gates.js';
import { durationInput, issueInput, policyFrom } from './inputs.js';
import { openRequest } from './request.js';
import { report } from './summary.js';

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
  const number =
    issueNumber ??
    (await openRequest({
      context,
      workspace,
      token,
      config,
      service,
      environment,
      policy,
      client,
      repo,
      login,
      digestInput,
      versionInput,
    }));

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
