/**
 * Write one service's entry into one environment's manifest on its GitOps branch (plus any extra
 * deployment files), with fetch-edit-push retry. A re-run that changes nothing makes no commit.
 */
import {
  assertManifestDeploys,
  checkDeployFiles,
  editDeployFile,
  isSameDeployment,
  newManifestText,
  parseManifest,
  parsePromotionMessage,
  promoteInManifest,
  promotionMessage,
  render,
  UserError,
  type Config,
  type DeployFileSpec,
  type EnvironmentConfig,
  type Manifest,
  type ManifestEntry,
  type ManifestPromotion,
  MANIFEST_FIELDS,
  type ServiceConfig,
} from '@sd-actions/core';
import {
  updateBranch,
  updateBranchCombining,
  type BranchState,
  type PendingEdit,
  type ScratchRepo,
  type UpdateBranchOptions,
} from '@sd-actions/git';

export const NO_PREVIOUS = 'none';

export interface ManifestUpdateOptions {
  repo: ScratchRepo;
  config: Config;
  service: ServiceConfig;
  environment: EnvironmentConfig;
  promotion: ManifestPromotion;
  fromEnvironment?: string;
  specs?: DeployFileSpec[];
  /** A version (or "none") the entry must have before the edit, checked on every attempt. */
  expectedPrevious?: string;
  dryRun?: boolean;
  attempts?: number;
  runUrl?: string;
  /** Recorded as Sd-Override / Sd-Override-Reason trailers. */
  override?: { override?: string; overrideReason?: string };
  /** Recorded as Sd-Approved-By / Sd-Approval trailers (the approval that allowed it). */
  approval?: { approvedBy?: string; approval?: string };
  log?: (line: string) => void;
  /**
   * Combine with other promotions racing for the same branch (packages/git/src/combine.ts): a
   * lost race publishes this edit for the next run to land, and each landing push carries every
   * pending promotion that `replayPromotion` proves its owner would land unchanged.
   */
  combine?: boolean;
}

export interface ManifestUpdate {
  branch: string;
  manifestPath: string;
  changed: boolean;
  /** The commit made (pushed unless dry-run). */
  commit?: string;
  created: boolean;
  previous?: ManifestEntry;
  diff: string;
  /** Files whose text changed. */
  touched: string[];
  attempts: number;
}

export function manifestPathOf(config: Config, environment: string): string {
  return render(config.manifests, { environment });
}

function describeEntry(entry: ManifestEntry | undefined): string {
  return entry ? `${entry.version ?? '(no version)'} (${entry.digest ?? 'no digest'})` : 'not deployed';
}

export async function updateManifest(options: ManifestUpdateOptions): Promise<ManifestUpdate> {
  const { config, service, environment, promotion, expectedPrevious } = options;
  const branch = environment.branch;
  const manifestPath = manifestPathOf(config, environment.name);
  const where = (path: string) => `${branch}:${path}`;
  const log = options.log ?? (() => undefined);
  checkDeployFiles(config, environment, options.specs ?? []);
  // What the entry was when we started: a later attempt that finds it changed to something else
  // has raced with a promotion of the same service, which we must not silently overwrite.
  let firstSeen: ManifestEntry | undefined;
  const parsed = new Map<string, Manifest>();
  const combine =
    options.combine && !options.dryRun
      ? {
          replay: (pending: PendingEdit, read: (path: string) => string | undefined) =>
            replayPromotion(pending, read, manifestPath, environment.name, where(manifestPath), parsed),
        }
      : undefined;
  const request: UpdateBranchOptions<{ previous?: ManifestEntry; touched: string[] }> = {
    repo: options.repo,
    branch,
    dryRun: options.dryRun,
    retry: { attempts: options.attempts ?? 10 },
    log,
    edit: async (state) => {
      const { text, existed } = await manifestAtTip(state, manifestPath, branch, environment.name, log);
      const edited = promoteInManifest(text, where(manifestPath), environment.name, service.name, promotion);
      const current = edited.previous;
      if (state.attempt === 1) firstSeen = current;
      if (!isSameDeployment(current, promotion)) {
        if (expectedPrevious !== undefined && (current?.version ?? NO_PREVIOUS) !== expectedPrevious)
          throw new UserError(
            `${where(manifestPath)}: services.${service.name} is ${describeEntry(current)}, but expected-previous-version is ${expectedPrevious}; nothing was pushed`,
          );
        if (state.attempt > 1)
          refuseIfRaced(where(manifestPath), service.name, promotion.version, firstSeen, current);
      }
      const files: Record<string, string> = {};
      const touched: string[] = [];
      if (edited.changed) {
        files[manifestPath] = edited.text;
        touched.push(manifestPath);
      }
      for (const spec of options.specs ?? []) {
        const before = await state.read(spec.path);
        if (before === undefined)
          throw new UserError(
            `Input "files": ${spec.path} is not on branch ${branch}; expected an existing file there`,
          );
        const result = editDeployFile(before, spec, {
          version: promotion.version,
          digest: promotion.digest,
          image: promotion.image,
          commit: promotion.commit,
          imageNames: [promotion.image, service.image, service.name],
        });
        if (result.changed) {
          files[spec.path] = result.text;
          touched.push(spec.path);
        }
      }
      const value = { previous: current, touched };
      if (touched.length === 0) return { value };
      // A first promotion creates the manifest even when only `files` changed.
      if (!files[manifestPath] && !existed) files[manifestPath] = edited.text;
      // The manifest committed and the trailers below come from `promotion` alone.
      assertManifestDeploys(files[manifestPath] ?? text, where(manifestPath), service.name, promotion);
      const message = promotionMessage({
        service: service.name,
        environment: environment.name,
        version: promotion.version,
        previousVersion: current?.version,
        digest: promotion.digest,
        image: promotion.image,
        sourceCommit: promotion.commit,
        fromEnvironment: options.fromEnvironment,
        actor: promotion.promotedBy,
        runUrl: options.runUrl,
        ...options.approval,
        ...options.override,
      });
      return { files, message, value };
    },
  };
  const update = combine ? await updateBranchCombining({ ...request, combine }) : await updateBranch(request);
  return {
    branch,
    manifestPath,
    changed: update.changed,
    commit: update.commit,
    created: update.created,
    previous: update.value.previous,
    diff: update.diff,
    touched: update.value.touched,
    attempts: update.attempts,
  };
}

function sameEntry(a: ManifestEntry | undefined, b: ManifestEntry | undefined): boolean {
  if (!a || !b) return a === b;
  return MANIFEST_FIELDS.every((field) => a[field] === b[field]);
}

/**
 * Another run's pending promotion, re-applied to the current manifest: only when it is exactly
 * what its owner would land there. It must change nothing but the manifest; its message must be a
 * promotion record of this environment whose service, version, image, digest and previous version
 * agree with its manifest entry; and the service's entry must be unchanged since its base
 * (otherwise the owner finds the conflict). What lands is that promotion applied to the current
 * manifest by the same edit the owner runs, so nothing else in the pending commit is carried.
 * Undefined: leave it to its owner. `parsed` caches manifests by text (runs share bases).
 */
export function replayPromotion(
  pending: PendingEdit,
  read: (path: string) => string | undefined,
  manifestPath: string,
  environment: string,
  where: string,
  parsed: Map<string, Manifest> = new Map(),
): Record<string, string> | undefined {
  const [file] = pending.files;
  if (pending.files.length !== 1 || file?.path !== manifestPath) return undefined;
  const { base, theirs } = file;
  const current = read(manifestPath);
  if (base === undefined || theirs === undefined || current === undefined) return undefined;
  const record = parsePromotionMessage(pending.message);
  if (!record || record.environment !== environment) return undefined;
  try {
    const service = record.service;
    const entryIn = (text: string) => {
      let manifest = parsed.get(text);
      if (!manifest) {
        if (parsed.size > 64) parsed.clear();
        parsed.set(text, (manifest = parseManifest(text, where)));
      }
      return manifest.services.get(service);
    };
    const before = entryIn(base);
    const entry = entryIn(theirs);
    if (!entry?.version || !entry.image || !entry.digest) return undefined;
    if (entry.version !== record.version || entry.image !== record.image || entry.digest !== record.digest)
      return undefined;
    if (record.previousVersion !== before?.version) return undefined;
    const promotion: ManifestPromotion = { version: entry.version, image: entry.image, digest: entry.digest };
    for (const field of ['commit', 'promotedAt', 'promotedBy'] as const)
      if (entry[field] !== undefined) promotion[field] = entry[field];
    // What its owner's edit gives on the current manifest, provided its entry there is unchanged.
    const edited = promoteInManifest(current, where, environment, service, promotion);
    if (!sameEntry(before, edited.previous)) return undefined;
    return edited.changed ? { [manifestPath]: edited.text } : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest at an attempt's tip, or a new one when the branch does not hold it yet. */
export async function manifestAtTip(
  state: BranchState,
  manifestPath: string,
  branch: string,
  environment: string,
  log: (line: string) => void,
): Promise<{ text: string; existed: boolean }> {
  const existing = await state.read(manifestPath);
  if (state.tip && existing === undefined) log(`${manifestPath} is not on ${branch} yet; creating it`);
  return { text: existing ?? newManifestText(environment), existed: existing !== undefined };
}

/**
 * Another promotion of the same service landed while this one ran; nothing was pushed. `current`
 * is the entry the manifest records now (what the registry's moving tags should show).
 */
export class PromotionRaced extends UserError {
  constructor(
    message: string,
    readonly service: string,
    readonly current: ManifestEntry | undefined,
  ) {
    super(message);
  }
}

/**
 * A later attempt finding the service's entry changed since the first has raced with another
 * promotion of that service, which must not be silently overwritten.
 */
export function refuseIfRaced(
  where: string,
  service: string,
  version: string,
  firstSeen: ManifestEntry | undefined,
  current: ManifestEntry | undefined,
): void {
  const moved =
    current?.version !== firstSeen?.version ||
    current?.digest !== firstSeen?.digest ||
    current?.image !== firstSeen?.image;
  if (moved)
    throw new PromotionRaced(
      `Conflict: services.${service} in ${where} changed while this promotion ran, from ${describeEntry(firstSeen)} to ${describeEntry(current)} (another promotion of ${service}); nothing was pushed. Re-run to promote ${version} over it.`,
      service,
      current,
    );
}
