/**
 * Write several services' entries into one environment's manifest: one commit per service (each
 * with exactly the trailers a single promotion writes, which the ledger reads), carried by one
 * push, with fetch-edit-push retry re-applying the whole batch on a moved branch.
 */
import {
  checkBatchResult,
  isSameDeployment,
  promoteManyInManifest,
  promotionMessage,
  UserError,
  type Config,
  type EnvironmentConfig,
  type ManifestEntry,
  type ManifestPromotion,
} from '@sd-actions/core';
import { updateBranchMany, type ScratchRepo } from '@sd-actions/git';
import { manifestAtTip, manifestPathOf, refuseIfRaced } from './manifest-update.js';

export interface BatchItem {
  service: string;
  promotion: ManifestPromotion;
  /** Recorded as Sd-Override / Sd-Override-Reason trailers. */
  override?: { override?: string; overrideReason?: string };
  /** Recorded as Sd-Approved-By / Sd-Approval trailers. */
  approval?: { approvedBy?: string; approval?: string };
}

export interface ManifestBatchOptions {
  repo: ScratchRepo;
  config: Config;
  environment: EnvironmentConfig;
  items: BatchItem[];
  fromEnvironment?: string;
  dryRun?: boolean;
  attempts?: number;
  runUrl?: string;
  log?: (line: string) => void;
}

export interface ManifestBatchUpdate {
  branch: string;
  manifestPath: string;
  changed: boolean;
  /** The commit made for each service whose entry changed, in batch order. */
  commits: { service: string; commit: string }[];
  /** Each service's entry before the batch. */
  previous: Map<string, ManifestEntry | undefined>;
  created: boolean;
  attempts: number;
}

export async function updateManifestBatch(options: ManifestBatchOptions): Promise<ManifestBatchUpdate> {
  const { config, environment, items } = options;
  const branch = environment.branch;
  const manifestPath = manifestPathOf(config, environment.name);
  const where = `${branch}:${manifestPath}`;
  const log = options.log ?? (() => undefined);
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item.service))
      throw new UserError(`${item.service} is listed twice in one batch; expected each service once`);
    seen.add(item.service);
  }
  // Each entry as first seen: a later attempt finding it changed has raced with a promotion of
  // that service, which must not be silently overwritten.
  const firstSeen = new Map<string, ManifestEntry | undefined>();
  const update = await updateBranchMany<{
    previous: Map<string, ManifestEntry | undefined>;
    services: string[];
  }>({
    repo: options.repo,
    branch,
    dryRun: options.dryRun,
    retry: { attempts: options.attempts ?? 10 },
    log,
    edit: async (state) => {
      const { text: base } = await manifestAtTip(state, manifestPath, branch, environment.name, log);
      const previous = new Map<string, ManifestEntry | undefined>();
      const commits = [];
      const services: string[] = [];
      const edits = items.map((item) => ({ service: item.service, promotion: item.promotion }));
      // One parse per attempt: each step's text is the single edit's on the step before.
      const steps = promoteManyInManifest(base, where, environment.name, edits, ({ edit }, index) => {
        const item = items[index]!;
        const current = edit.previous;
        previous.set(item.service, current);
        if (state.attempt === 1) firstSeen.set(item.service, current);
        if (!isSameDeployment(current, item.promotion) && state.attempt > 1)
          refuseIfRaced(where, item.service, item.promotion.version, firstSeen.get(item.service), current);
      });
      const final = steps.at(-1)?.edit.text ?? base;
      if (final !== base) checkBatchResult(base, final, where, environment.name, edits);
      for (const [index, { edit }] of steps.entries()) {
        if (!edit.changed) continue;
        const item = items[index]!;
        services.push(item.service);
        commits.push({
          files: { [manifestPath]: edit.text },
          message: promotionMessage({
            service: item.service,
            environment: environment.name,
            version: item.promotion.version,
            previousVersion: edit.previous?.version,
            digest: item.promotion.digest,
            image: item.promotion.image,
            sourceCommit: item.promotion.commit,
            fromEnvironment: options.fromEnvironment,
            actor: item.promotion.promotedBy,
            runUrl: options.runUrl,
            ...item.approval,
            ...item.override,
          }),
        });
      }
      return { commits, value: { previous, services } };
    },
  });
  return {
    branch,
    manifestPath,
    changed: update.changed,
    commits: update.commits.map((c) => ({ service: update.value.services[c.step]!, commit: c.commit })),
    previous: update.value.previous,
    created: update.created,
    attempts: update.attempts,
  };
}
