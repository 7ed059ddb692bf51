/** The rollback's inputs and config, all checked before anything is read remotely or changed. */
import {
  DEFAULT_ROLLBACK_REASON,
  parseDuration,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateVersion,
} from '@sd-actions/core';
import {
  configInput,
  getBoolean,
  getString,
  loadConfigFile,
  log,
  readContext,
  readRegistryCredentials,
} from '@sd-actions/action-kit';

export type Inputs = Awaited<ReturnType<typeof readInputs>>;

export async function readInputs() {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Inputs and config first: a mistake here changes nothing anywhere.
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }), 'environment');
  const toVersion = getString('to-version');
  if (toVersion !== undefined) validateVersion(toVersion, 'to-version');
  const fromVersion = getString('from-version');
  if (fromVersion !== undefined) validateVersion(fromVersion, 'from-version');
  const reason = getString('reason') ?? DEFAULT_ROLLBACK_REASON;
  if (/[\u0000-\u001f\u007f]/.test(reason))
    throw new UserError(`Input "reason": ${show(reason)} is not one line; expected a short sentence`);
  const quarantine = getBoolean('quarantine', true);
  const cooldownText = getString('cooldown') ?? '30m';
  const cooldownMs = /^0+$/.test(cooldownText) ? 0 : parseDuration(cooldownText);
  if (cooldownMs === undefined)
    throw new UserError(
      `Input "cooldown": ${show(cooldownText)} is not a duration; expected a number with a unit, like 30m or 2h (0 for none)`,
    );
  const allowUnverified = getBoolean('allow-unverified');
  const allowQuarantined = getBoolean('allow-quarantined');
  const dryRun = getBoolean('dry-run');
  const deployments = getBoolean('deployments', true);
  const credentials = readRegistryCredentials();
  const actor = context.actor || undefined;
  const pipelineSpec = environment.verify?.codepipeline;
  if (pipelineSpec && pipelineSpec.stage === undefined)
    log.notice(
      `environments.${environment.name}.verify.codepipeline names no stage, so no CodePipeline RollbackStage is made; add stage to roll the pipeline back too`,
    );
  return {
    context,
    workspace,
    config,
    service,
    environment,
    toVersion,
    fromVersion,
    reason,
    quarantine,
    cooldownMs,
    allowUnverified,
    allowQuarantined,
    dryRun,
    deployments,
    credentials,
    actor,
    pipelineSpec,
  };
}
