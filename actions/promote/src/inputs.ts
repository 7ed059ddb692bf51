/** promote's inputs and config, validated before anything is read remotely or changed. */
import {
  checkDeployFiles,
  classifyVersion,
  environmentApprovalPolicy,
  imageRepository,
  parseDeployFileSpec,
  requireEnvironment,
  requireService,
  show,
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
  getJson,
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
  /**
   * Input `services` (from-build mode only): the chunk's services with their digests (input
   * `digests`). `service` is then the chunk's first service.
   */
  batch?: { services: ServiceConfig[]; digests: Map<string, string> };
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
  const batch = readBatch(config);
  const service = batch?.services[0] ?? requireService(config, getString('service', { required: true }));
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
  const digestInput = getString('digest') ?? (batch ? undefined : digestOf(service.name));
  if (digestInput !== undefined) validateDigest(digestInput);
  const sourceInput = getString('source-commit');
  if (sourceInput !== undefined) validateCommitSha(sourceInput);
  if ((digestInput || batch) && !sourceInput)
    throw new UserError(
      `Input "source-commit" is required with "${batch ? 'services' : 'digest'}": the manifest records the commit a build came from`,
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
    batch,
  };
}

/** Input `digests`: a JSON object from service to digest (build-once-tag's `digests` output). */
function readDigests(): Map<string, string> | undefined {
  const parsed = getJson<unknown>('digests');
  if (parsed === undefined) return undefined;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UserError(
      `Input "digests": ${show(getString('digests'))} is not valid; expected a JSON object from service to digest, e.g. {"blue":"sha256:…"} (build-once-tag's digests output)`,
    );
  const digests = new Map<string, string>();
  for (const [name, digest] of Object.entries(parsed)) {
    if (typeof digest !== 'string')
      throw new UserError(
        `Input "digests": the digest of ${show(name)} is not a string; expected sha256:<64 hex digits>`,
      );
    validateDigest(digest);
    digests.set(name, digest);
  }
  return digests;
}

/** A single service's digest from input `digests` (when `digest` is empty), if given. */
function digestOf(service: string): string | undefined {
  const digests = readDigests();
  if (!digests) return undefined;
  const digest = digests.get(service);
  if (!digest)
    throw new UserError(
      `Input "digests": no digest for ${show(service)}; expected build-once-tag's digests output for it`,
    );
  return digest;
}

/** Inputs `services` + `digests`: a chunk promoted from its builds; exclusive with `service`. */
function readBatch(config: Config): PromoteInputs['batch'] {
  const names = [...new Set(getList('services'))];
  if (names.length === 0) return undefined;
  if (getString('service') !== undefined)
    throw new UserError(
      'Inputs "service" and "services" were both given; expected exactly one non-empty (a workflow may pass both from a matrix entry that sets only one)',
    );
  for (const input of ['digest', 'from', 'version', 'image', 'files', 'override-soak'])
    if (input === 'override-soak' ? getBoolean(input) : getString(input) !== undefined)
      throw new UserError(
        `Input "${input}" cannot be combined with "services": a chunk is promoted from its builds (digests and source-commit) only; promote one service per step to use "${input}"`,
      );
  const services = names.map((name) => requireService(config, name, 'services'));
  const digests = readDigests();
  if (!digests)
    throw new UserError('Input "digests" is required with "services": pass build-once-tag\'s digests output');
  const missing = names.filter((name) => !digests.has(name));
  if (missing.length > 0)
    throw new UserError(
      `Input "digests": no digest for ${missing.map((n) => show(n)).join(', ')}; expected build-once-tag's digests output for every service of "services"`,
    );
  return { services, digests };
}
