/**
 * promote for a chunk of services (inputs `services` + `digests`, from-build mode): every
 * service's policy and gates are checked before the first write (one refusal names them all);
 * then each digest is retagged, and the manifest edits land as one commit per service (each with
 * the trailers a single promotion writes) carried by one push.
 */
import {
  applyOverrides,
  approvalRecord,
  checkPromotion,
  checkQuarantine,
  imageRepository,
  overrideRecord,
  UserError,
  type PromotionProgress,
  type Refusal,
} from '@sd-actions/core';
import {
  code,
  commitUrl,
  getString,
  link,
  log,
  markdownTable,
  now,
  recordChange,
  writeSummary,
} from '@sd-actions/action-kit';
import { branchesContaining, Git, type ScratchRepo } from '@sd-actions/git';
import { readEnvironment, readQuarantine, updateManifestBatch } from '@sd-actions/gitops';
import type { Registry, TagAction } from '@sd-actions/registry';
import { checkApproval, withQuarantineOverride, type ApprovalOutcome } from './gates.js';
import type { PromoteInputs } from './inputs.js';
import { announce, type PromotionPlan, type RemoteAccess } from './plan.js';
import { promotionOf, rethrowAfterSettling, retagStep, startDeployment } from './steps.js';
import { tagsCell } from './summary.js';
import { chooseVersion } from './version.js';

/** Steps 1–2 for the whole chunk: reads only; throws one refusal naming every refused service. */
async function planBatch(
  inp: PromoteInputs,
  repo: ScratchRepo,
  remote: RemoteAccess,
): Promise<PromotionPlan[]> {
  const { config, to, batch } = inp;
  const commit = inp.sourceInput!;
  // One source commit for the chunk: checked once.
  const branches = await branchesContaining({
    url: remote.url,
    authHeader: remote.authHeader,
    commit,
    exclude: [...config.environments.values()].map((e) => e.branch),
  });
  if (branches.length === 0)
    throw new UserError(
      `Promotion of ${batch!.services.length} services to ${to.name} refused, nothing was changed: source commit ${commit} (input "source-commit") is not on any branch of origin; push it first, or pass the commit the images were built from`,
    );
  const entries = await readEnvironment(repo, config, to);
  const quarantine = await readQuarantine(repo, config, to);
  const plans: PromotionPlan[] = [];
  const refused: string[] = [];
  for (const service of batch!.services) {
    const image = imageRepository(config, service);
    const artifact = { digest: batch!.digests.get(service.name)!, image, commit };
    const { version, how } = await chooseVersion({
      input: undefined,
      artifact,
      entryEnvironment: inp.fromName === undefined,
      config,
      service,
      remoteGit: repo.git,
      workspaceGit: new Git(inp.workspace),
      from: 'build',
    });
    const current = entries.get(service.name);
    const verdict = applyOverrides(
      checkPromotion({
        service: service.name,
        to,
        version,
        artifact,
        current:
          current?.version && current.digest
            ? { version: current.version, digest: current.digest }
            : undefined,
        allowDowngrade: inp.allowDowngrade,
        now: now(),
      }),
      inp.override,
      to.name,
    );
    const gates: Refusal[] = [];
    const q = checkQuarantine({
      service: service.name,
      environment: to.name,
      digest: artifact.digest,
      version,
      quarantine,
      allowQuarantined: inp.allowQuarantined,
    });
    if (q.refusal) gates.push(q.refusal);
    const approval: ApprovalOutcome = await checkApproval(inp.gate, {
      service: service.name,
      environment: to.name,
      digest: artifact.digest,
      token: getString('token'),
      runId: Number(inp.context.runId),
      runUrl: inp.context.runUrl,
    });
    if (approval.refusal) gates.push(approval.refusal);
    for (const w of verdict.warnings)
      log.warning(`${service.name}: ${w.message} [${w.rule}]`, { title: 'Promotion policy' });
    if (q.warning)
      log.warning(`${service.name}: ${q.warning.message} [quarantine]`, { title: 'Quarantined digest' });
    const refusals = [...verdict.refusals, ...gates];
    if (refusals.length > 0)
      refused.push(`${service.name}: ${refusals.map((r) => `[${r.rule}] ${r.message}`).join('; ')}`);
    plans.push({
      service,
      image,
      artifact,
      source: 'build',
      version,
      how,
      tagName: undefined,
      existingTag: undefined,
      releaseBranch: undefined,
      verdict,
      quarantined: q.warning,
      approval,
    });
  }
  if (refused.length > 0)
    throw new UserError(
      `Promotion of ${refused.length} of ${plans.length} services to ${to.name} refused, nothing was changed: ${refused.join(' | ')}`,
    );
  return plans;
}

export async function runBatch(
  inp: PromoteInputs,
  repo: ScratchRepo,
  registry: Registry,
  remote: RemoteAccess,
  progress: PromotionProgress,
): Promise<void> {
  const { config, to, dryRun, context } = inp;
  const plans = await planBatch(inp, repo, remote);
  for (const p of plans) announce(inp, p);

  // Every digest must be in the registry before the first tag is written.
  const absent: string[] = [];
  for (const p of plans)
    if (!(await registry.getManifest(p.service.image, p.artifact.digest)))
      absent.push(`${p.image}@${p.artifact.digest}`);
  if (absent.length > 0)
    throw new UserError(
      `Promotion of ${plans.length} services to ${to.name} refused, nothing was changed: not in the ${config.registry.type} registry: ${absent.join(', ')}; were they pushed (build-once-tag)?`,
    );

  // 3. Registry, service by service.
  const tagPlans = new Map<string, TagAction[]>();
  for (const p of plans) {
    const tagPlan = await retagStep(inp, p, registry, progress);
    tagPlans.set(p.service.name, tagPlan);
    const moved = tagPlan.filter((t) => t.action === 'add' || t.action === 'move').map((t) => t.tag);
    if (!dryRun && moved.length)
      progress.done.push(`${p.service.name}: registry tags ${moved.join(', ')} → ${p.artifact.digest}`);
  }

  // 4. The manifest: one commit per service, one push.
  progress.stage = 'push';
  const update = await updateManifestBatch({
    repo,
    config,
    environment: to,
    fromEnvironment: 'build',
    dryRun,
    runUrl: context.runUrl,
    items: plans.map((p) => ({
      service: p.service.name,
      promotion: promotionOf(inp, p),
      override: withQuarantineOverride(overrideRecord(p.verdict.overridden, inp.override), p.quarantined),
      approval: approvalRecord(p.approval.evidence),
    })),
    log: (line) => log.info(line),
  }).catch((err: unknown) =>
    rethrowAfterSettling(
      err,
      registry,
      plans.map((plan) => ({ plan, tagPlan: tagPlans.get(plan.service.name) ?? [] })),
      dryRun,
    ),
  );
  const commitOf = new Map(update.commits.map((c) => [c.service, c.commit]));
  if (!dryRun)
    for (const c of update.commits)
      recordChange(`manifest commit ${c.commit.slice(0, 12)} (${c.service}) pushed to ${update.branch}`);
  if (!dryRun && inp.deployments)
    for (const p of plans) if (commitOf.has(p.service.name)) await startDeployment(inp, p);

  const changed =
    !dryRun &&
    (update.changed ||
      [...tagPlans.values()].some((plan) => plan.some((t) => t.action === 'add' || t.action === 'move')));
  const last = update.commits[update.commits.length - 1]?.commit;
  log.setOutput('commit', !dryRun && last ? last : '');
  log.setOutput('changed', changed ? 'true' : 'false');
  log.setOutput('from', 'build');
  const verdictLine = dryRun
    ? 'Dry run: nothing was changed.'
    : `${update.commits.length} of ${plans.length} services promoted to ${to.name}${update.commits.length < plans.length ? ` (${plans.length - update.commits.length} already there)` : ''}.`;
  log.info(verdictLine);

  const urlOf = (sha: string) => commitUrl(context, sha);
  const table = markdownTable(
    ['Service', 'Version', 'Digest', 'Registry tags', 'Manifest'],
    plans.map((p) => {
      const sha = commitOf.get(p.service.name);
      const previous = update.previous.get(p.service.name)?.version ?? 'none';
      return [
        p.service.name,
        `${previous} → ${p.version}`,
        code(p.artifact.digest),
        tagsCell(tagPlans.get(p.service.name) ?? [], dryRun),
        sha ? (dryRun ? 'would commit' : link(sha.slice(0, 12), urlOf(sha))) : 'already up to date',
      ];
    }),
  );
  await writeSummary(
    `### ${dryRun ? 'Dry run: ' : ''}promote ${plans.length} services (build ${inp.sourceInput!.slice(0, 12)}) → ${to.name}\n\n${table}\n${verdictLine}\n`,
  );
}
