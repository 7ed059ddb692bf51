/**
 * The action's inputs, read and validated before anything is measured or written: the config,
 * service and environment, the pinned version and digest, the timeout, the verification plan,
 * the AWS readers it needs, the committer and the remote.
 */
import {
  combineVerify,
  parseChecksInput,
  parseVerifyDuration,
  planHasChecks,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  validateVersion,
  type VerifySpec,
} from '@sd-actions/core';
import { configInput, getBoolean, getInteger, getString, loadConfigFile } from '@sd-actions/action-kit';
import { parseIdentity } from '@sd-actions/git';
import { resolveRemote } from '@sd-actions/gitops';
import { awsReaders } from './aws-readers.js';
import { say } from './say.js';

export type Inputs = Awaited<ReturnType<typeof readInputs>>;

/** Everything is validated before anything is measured or written (same order as the inputs are read). */
export async function readInputs(workspace: string) {
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }));
  const versionInput = getString('version');
  if (versionInput !== undefined) validateVersion(versionInput);
  const digestInput = getString('digest');
  if (digestInput !== undefined) validateDigest(digestInput);
  const timeoutText = getString('timeout') ?? '15m';
  const timeoutMs = parseVerifyDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new UserError(`Input "timeout": ${show(timeoutText)} is not a duration; expected e.g. 15m or 90s`);
  const record = getBoolean('record', true);
  const deployments = getBoolean('deployments', true);
  const environmentUrl = getString('environment-url');
  const checksText = getString('checks');
  const input: VerifySpec | undefined = checksText ? await parseChecksInput(checksText) : undefined;
  const plan = combineVerify(environment.verify, service.verify, input);
  if (!planHasChecks(plan))
    throw new UserError(
      `Nothing to verify for ${service.name} in ${environment.name}: add verify checks (http, alarms, codepipeline, command) under environments.${environment.name} or services.${service.name} in ${config.file}, or pass the checks input`,
    );
  const readers = awsReaders(plan, {
    region: getString('aws-region'),
    env: process.env,
    onRetry: ({ operation, attempt, delayMs, reason }) =>
      say(`AWS ${operation}: attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms`),
  });
  const identity = parseIdentity(getString('committer') ?? '', 'committer');
  const attempts = getInteger('push-attempts', 10, 1, 50);
  const remote = await resolveRemote(workspace, getString('remote') ?? 'origin', getString('token'));
  return {
    config,
    service,
    environment,
    versionInput,
    digestInput,
    timeoutText,
    timeoutMs,
    record,
    deployments,
    environmentUrl,
    plan,
    readers,
    identity,
    attempts,
    remote,
  };
}
