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
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  validateVersion,
} from '@sd-actions/core';
import {
  log,
  configInput,
  getBoolean,
  getString,
  loadConfigFile,
  now,
  readContext,
} from '@sd-actions/action-kit';
import { createGitHubClient, gateLogin, parseRepository } from '@sd-actions/github';
import { pipelineInputs } from './bridge.js';
import { conclude, decide } from './decide.js';
import { codePipelineGate, environmentGate } from './gates.js';
import { durationInput, issueInput, namesOf, policyFrom } from './inputs.js';
import { openRequest } from './request.js';
import { report } from './summary.js';

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const token = getString('token', { required: true });
  const membershipToken = getString('membership-token');
  log.setSecret(token);
  if (membershipToken) log.setSecret(membershipToken);

  // 1. Inputs and config (resuming a request, service and environment may come from its binding).
  const config = await loadConfigFile(workspace, configInput());
  const issueEarly = issueInput();
  const { serviceName, environmentName } = await namesOf(token, context.repository, issueEarly);
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

  // 4 + 5. Decide, waiting if asked to; 6. hand it on and close the request.
  const result = await decide({
    client,
    membership,
    repo,
    number,
    policy,
    login,
    clock,
    wait,
    pollMs,
    service: service.name,
    environment: environment.name,
    digestInput,
  });
  await conclude(client, repo, number, result, policy, pipeline);
  report(result, policy, client);
}
