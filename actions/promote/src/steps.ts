/**
 * promote steps 3 to 5, the writes: retag the digest in the registry, commit the manifest entry
 * on the environment branch, and cut the release tag and branch the first time a version lands.
 */
import {
  approvalRecord,
  classifyVersion,
  environmentUrl,
  overrideRecord,
  releaseValues,
  render,
  UserError,
  type ManifestEntry,
  type ManifestPromotion,
  type PromotionProgress,
} from '@sd-actions/core';
import { deploymentsAccess, log, recordChange, timestamp } from '@sd-actions/action-kit';
import { ensureBranch, ensureTag, type ScratchRepo } from '@sd-actions/git';
import { PromotionRaced, updateManifest, type ManifestUpdate } from '@sd-actions/gitops';
import { planRetag, retag, tagKind, type Registry, type TagAction } from '@sd-actions/registry';
import { withQuarantineOverride } from './gates.js';
import type { PromoteInputs } from './inputs.js';
import type { PromotionPlan } from './plan.js';

/** 3. Registry: the same digest gets the environment's tags; immutable tags never move. */
export async function retagStep(
  inp: PromoteInputs,
  p: PromotionPlan,
  registry: Registry,
  progress: PromotionProgress,
): Promise<TagAction[]> {
  const { config, to, dryRun } = inp;
  const { service, image, artifact: art, version } = p;
  progress.stage = 'registry';
  const manifest = await registry.getManifest(service.image, art.digest);
  if (!manifest)
    throw new UserError(
      `${image}@${art.digest} is not in the ${config.registry.type} registry; was it pushed (build-once-tag)?`,
    );
  const values = {
    ...(classifyVersion(version) === 'release'
      ? releaseValues(service.name, version)
      : { service: service.name, version }),
    environment: to.name,
    sha: `sha-${art.commit.slice(0, 7)}`,
  };
  const requests = to.tags.map((template) => {
    const tag = render(template, values);
    return { tag, kind: tagKind(template, tag) };
  });
  const tagPlan: TagAction[] = dryRun
    ? await planRetag(registry, service.image, art.digest, requests)
    : await retag(registry, service.image, manifest, requests);
  for (const t of tagPlan)
    if (!dryRun && (t.action === 'add' || t.action === 'move'))
      recordChange(
        `registry tag ${image}:${t.tag} ${t.action === 'add' ? 'added' : 'moved'} to ${art.digest}`,
      );
  return tagPlan;
}

/**
 * After a lost race (another promotion of this service landed first, nothing was pushed): each
 * moving tag this run moved to its digest goes to the digest the manifest records now (or back
 * where it was), so the registry agrees with the ledger again. A registry has no compare-and-set:
 * a tag that no longer shows our digest (another run moved it since) is left alone. Returns one
 * line per tag it set.
 */
export async function settleMovingTags(
  p: PromotionPlan,
  registry: Registry,
  tagPlan: TagAction[],
  recorded: ManifestEntry | undefined,
): Promise<string[]> {
  const ours = p.artifact.digest;
  const lines: string[] = [];
  for (const t of tagPlan) {
    if (t.kind !== 'moving' || (t.action !== 'add' && t.action !== 'move')) continue;
    if ((await registry.resolve(p.service.image, t.tag))?.digest !== ours) continue;
    const target =
      recorded?.digest && recorded.image === p.image && recorded.digest !== ours
        ? recorded.digest
        : t.current;
    const manifest = target ? await registry.getManifest(p.service.image, target) : undefined;
    if (!target || !manifest) {
      lines.push(`${p.image}:${t.tag} stays on ${ours} (there is no digest to set it back to)`);
      continue;
    }
    await registry.putManifest(p.service.image, t.tag, manifest);
    recordChange(`registry tag ${p.image}:${t.tag} set back to ${target} (the race was lost)`);
    lines.push(`${p.image}:${t.tag} set back to ${target}`);
  }
  return lines;
}

/**
 * The error of a manifest step, thrown again; when the race was lost (PromotionRaced), first
 * settle the moving tags of every promotion in it (the raced service's to what the manifest now
 * records, the others' back where they were: nothing was pushed) and say so in the message.
 */
export async function rethrowAfterSettling(
  err: unknown,
  registry: Registry,
  promotions: readonly { plan: PromotionPlan; tagPlan: TagAction[] }[],
  dryRun: boolean,
): Promise<never> {
  if (!(err instanceof PromotionRaced) || dryRun) throw err;
  const settled: string[] = [];
  for (const { plan, tagPlan } of promotions) {
    const recorded = plan.service.name === err.service ? err.current : undefined;
    settled.push(...(await settleMovingTags(plan, registry, tagPlan, recorded)));
  }
  throw settled.length ? new UserError(`${err.message} Registry: ${settled.join('; ')}.`) : err;
}

/** The manifest entry a promotion writes (and its commit's trailers read back by the ledger). */
export function promotionOf(inp: PromoteInputs, p: PromotionPlan): ManifestPromotion {
  return {
    version: p.version,
    image: p.image,
    digest: p.artifact.digest,
    commit: p.artifact.commit,
    promotedAt: timestamp(),
    promotedBy: inp.actor,
  };
}

/** 4. The manifest on the environment branch (and the GitHub deployment it starts). */
export async function manifestStep(
  inp: PromoteInputs,
  p: PromotionPlan,
  repo: ScratchRepo,
  tagPlan: TagAction[],
  progress: PromotionProgress,
): Promise<ManifestUpdate> {
  const { config, to, dryRun, context } = inp;
  const { service, artifact: art } = p;
  progress.stage = 'push';
  const moved = tagPlan.filter((t) => t.action === 'add' || t.action === 'move').map((t) => t.tag);
  if (!dryRun && moved.length) progress.done.push(`registry tags ${moved.join(', ')} → ${art.digest}`);
  const update = await updateManifest({
    repo,
    config,
    service,
    environment: to,
    promotion: promotionOf(inp, p),
    fromEnvironment: p.source,
    specs: inp.specs,
    dryRun,
    runUrl: context.runUrl,
    override: withQuarantineOverride(overrideRecord(p.verdict.overridden, inp.override), p.quarantined),
    approval: approvalRecord(p.approval.evidence),
    log: (line) => log.info(line),
    // Combining lands other runs' pending edits, which cannot re-run those runs' gates: only
    // where there are none to re-run (an entry environment without approvals — the burst case).
    combine: to.from === undefined && to.approvals === 0,
  });
  if (!dryRun && update.commit && update.changed)
    recordChange(`manifest commit ${update.commit.slice(0, 12)} pushed to ${update.branch}`);
  if (!dryRun && update.changed && inp.deployments) await startDeployment(inp, p);
  return update;
}

export async function startDeployment(inp: PromoteInputs, p: PromotionPlan): Promise<void> {
  const access = deploymentsAccess(inp.context.repository);
  // Without a token or an API URL there is nothing to record with: the GitHub client (Octokit
  // and its HTTP stack, most of the bundle) is loaded only when a deployment is recorded.
  if (!access.token || !access.apiUrl) return;
  const { startPromotionDeployment } = await import('@sd-actions/github');
  await startPromotionDeployment(access, {
    service: p.service.name,
    environment: inp.to.name,
    version: p.version,
    digest: p.artifact.digest,
    commit: p.artifact.commit,
    logUrl: inp.context.runUrl,
    environmentUrl: environmentUrl(inp.to, { service: p.service.name, version: p.version }),
  });
}

export interface ReleaseOutcome {
  tagOutcome?: 'created' | 'exists' | 'would create';
  branchOutcome?: string;
}

/** 5. The release tag and branch, the first time this version is cut. */
export async function releaseStep(
  inp: PromoteInputs,
  p: PromotionPlan,
  repo: ScratchRepo,
): Promise<ReleaseOutcome> {
  const { tagName, existingTag, artifact: art } = p;
  let tagOutcome: ReleaseOutcome['tagOutcome'];
  let branchOutcome: string | undefined;
  if (tagName) {
    const branchName = p.releaseBranch!;
    if (inp.dryRun) tagOutcome = existingTag ? 'exists' : 'would create';
    else {
      tagOutcome = await ensureTag(repo.git, {
        remote: 'origin',
        name: tagName,
        commit: art.commit,
        message: `${p.service.name} ${p.version}`,
      });
      if (tagOutcome === 'created') recordChange(`git tag ${tagName} created on ${art.commit.slice(0, 12)}`);
      if (tagOutcome === 'created') {
        const branch = await ensureBranch(repo.git, {
          remote: 'origin',
          name: branchName,
          commit: art.commit,
        });
        branchOutcome = `${branchName} (${branch.outcome})`;
      }
    }
  }
  return { tagOutcome, branchOutcome };
}
