/** promote's inputs and config, validated before anything is read remotely or changed. */
import {
  checkDeployFiles,
  classifyVersion,
  environmentApprovalPolicy,
  imageRepository,
  parseDeployFileSpec,
  requireEnvironment,
  requireService,
  UserError,
  validateCommitSha,
  validateDigest,
  validateOverride,
  type Config,
  type DeployFileSpec,
  type EnvironmentConfig,
  type Refusal,
  type ServiceConfig,
} from '@sd-actions/core';
import {
  getBoolean,
  getList,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  readRegistryCredentials,
} from '@sd-actions/action-kit';
import { approvalGateInputs, type ApprovalGate } from './gates.js';

export interface PromoteInputs {
  context: ReturnType<typeof readContext>;
  workspace: string;
  config: Config;
  service: ServiceConfig;
  to: EnvironmentConfig;
  fromName: string | undefined;
  versionInput: string | undefined;
  digestInput: string | undefined;
  sourceInput: string | undefined;
  allowDowngrade: boolean;
  dryRun: boolean;
  override: ReturnType<typeof validateOverride>;
  specs: DeployFileSpec[];
  credentials: ReturnType<typeof readRegistryCredentials>;
  actor: string | undefined;
  allowQuarantined: boolean;
  deployments: boolean;
  gate: ApprovalGate;
}

/** The error for refused rules: nothing was changed. */
export function refusedError(service: string, to: string, rs: readonly Refusal[]): UserError {
  return new UserError(
    `Promotion of ${service} to ${to} refused, nothing was changed: ${rs.map((r) => `[${r.rule}] ${r.message}`).join('; ')}`,
  );
}

export async function readInputs(): Promise<PromoteInputs> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Inputs and config first: a mistake here changes nothing anywhere.
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const to = requireEnvironment(config, getString('to', { required: true }), 'to');
  const fromInput = getString('from');
  const fromName = fromInput ?? to.from;
  if (fromInput !== undefined) requireEnvironment(config, fromInput, 'from');
  if (fromName === to.name)
    throw new UserError(
      `Input "from": ${JSON.stringify(fromName)} is the target environment itself; expected an earlier environment`,
    );
  const versionInput = getString('version');
  if (versionInput !== undefined && versionInput !== 'auto' && classifyVersion(versionInput) === undefined)
    throw new UserError(
      `Input "version": ${JSON.stringify(versionInput)} is not valid; expected semver like 1.6.0, a build tag like sha-abc1234, or auto`,
    );
  const digestInput = getString('digest');
  if (digestInput !== undefined) validateDigest(digestInput);
  const sourceInput = getString('source-commit');
  if (sourceInput !== undefined) validateCommitSha(sourceInput);
  if (digestInput && !sourceInput)
    throw new UserError(
      'Input "source-commit" is required with "digest": the manifest records the commit a build came from',
    );
  const imageInput = getString('image');
  if (imageInput !== undefined && imageInput !== imageRepository(config, service))
    throw new UserError(
      `Input "image": ${JSON.stringify(imageInput)} is not the image of ${service.name} in ${config.file}; expected ${imageRepository(config, service)}`,
    );
  const allowDowngrade = getBoolean('allow-downgrade');
  const dryRun = getBoolean('dry-run');
  const override = validateOverride({ soak: getBoolean('override-soak'), reason: getString('reason') });
  const specs = getList('files').map((line) => parseDeployFileSpec(line));
  checkDeployFiles(config, to, specs);
  const credentials = readRegistryCredentials();
  const actor = context.actor || undefined;
  const allowQuarantined = getBoolean('allow-quarantined');
  const deployments = getBoolean('deployments', true);
  const gate = approvalGateInputs(to.name, environmentApprovalPolicy(to), dryRun, context.repository);
  if (gate.missing) throw refusedError(service.name, to.name, [gate.missing]);
  return {
    context,
    workspace,
    config,
    service,
    to,
    fromName,
    versionInput,
    digestInput,
    sourceInput,
    allowDowngrade,
    dryRun,
    override,
    specs,
    credentials,
    actor,
    allowQuarantined,
    deployments,
    gate,
  };
}
