/**
 * Step 2 and the dry edit: the registry must still hold the target as the ledger recorded it, and
 * every change (moving tags, the manifest edit, the commit message) is worked out and tried once
 * on the tip already read, so nothing is written before all of it is known to apply.
 */
import {
  applyRollback,
  checkRegistryDigest,
  classifyVersion,
  imageRepository,
  releaseValues,
  render,
  rollbackMessage,
  UserError,
  type ManifestPromotion,
  type QuarantineEntry,
  type RollbackDecision,
} from '@sd-actions/core';
import { timestamp } from '@sd-actions/action-kit';
import { planRetag, tagKind, type openRegistry, type TagAction } from '@sd-actions/registry';
import type { Inputs } from './inputs.js';
import type { PlanRead } from './plan.js';

export type Rollback = Extract<RollbackDecision, { kind: 'rollback' }>;
type Registry = ReturnType<typeof openRegistry>;

export interface Prepared {
  image: string;
  /** The target's manifest, to put back under the moving tags. */
  manifest: NonNullable<Awaited<ReturnType<Registry['getManifest']>>>;
  requests: { tag: string; kind: ReturnType<typeof tagKind> }[];
  tagPlan: TagAction[];
  quarantineEntry: QuarantineEntry | undefined;
  target: ManifestPromotion;
  message: string;
}

export async function prepare(
  registry: Registry,
  inputs: Inputs,
  read: PlanRead,
  plan: Rollback,
): Promise<Prepared> {
  const { config, service, environment, context, reason, actor } = inputs;
  const { from, to } = plan;
  const image = to.image ?? imageRepository(config, service);

  // 2. The registry must still hold the target under its version, as the ledger recorded it.
  const resolved = await registry.resolve(service.image, to.version);
  const mismatch = checkRegistryDigest(to, service.name, resolved?.digest);
  if (mismatch)
    throw new UserError(
      `Rollback of ${service.name} in ${environment.name} refused: ${mismatch}; nothing was changed`,
    );
  const manifest = await registry.getManifest(service.image, to.digest);
  if (!manifest) throw new UserError(`${image}@${to.digest} is not in the registry; nothing was changed`);

  // The environment's moving tags only; immutable tags ({version}, sha-*) are never touched.
  const values = {
    ...(classifyVersion(to.version) === 'release'
      ? releaseValues(service.name, to.version)
      : { service: service.name, version: to.version }),
    environment: environment.name,
    sha: to.sourceCommit ? `sha-${to.sourceCommit.slice(0, 7)}` : to.version,
  };
  const requests = environment.tags
    .map((template) => {
      const tag = render(template, values);
      return { tag, kind: tagKind(template, tag) };
    })
    .filter((r) => r.kind === 'moving');
  const quarantineEntry: QuarantineEntry | undefined = inputs.quarantine
    ? {
        service: service.name,
        version: from.version,
        digest: from.digest,
        at: timestamp(),
        reason,
        by: actor ?? 'unknown',
        ...(context.runUrl ? { runUrl: context.runUrl } : {}),
      }
    : undefined;
  const target: ManifestPromotion = {
    version: to.version,
    image,
    digest: to.digest,
    ...(to.sourceCommit ? { commit: to.sourceCommit } : {}),
    promotedAt: timestamp(),
    ...(actor ? { promotedBy: actor } : {}),
  };
  const message = rollbackMessage({
    service: service.name,
    environment: environment.name,
    version: to.version,
    previousVersion: from.version,
    digest: to.digest,
    image,
    sourceCommit: to.sourceCommit,
    reason,
    actor,
    runUrl: context.runUrl,
  });
  // The whole edit is tried once on the tip read above before anything is written.
  applyRollback({
    text: read.text,
    file: read.file,
    environment: environment.name,
    service: service.name,
    from,
    target,
    quarantine: quarantineEntry,
  });
  const tagPlan: TagAction[] = await planRetag(registry, service.image, to.digest, requests);
  return { image, manifest, requests, tagPlan, quarantineEntry, target, message };
}
