/**
 * promote — the front door for one whole promotion of one service into one environment:
 *   1. resolve the artifact (the `from` environment's manifest entry, or the given build)
 *   2. check policy before anything changes, with the gates: `[quarantine]` (a digest found bad in
 *      the target) and `[approval]` (the environment's approvals, re-checked through the GitHub API
 *      by the config's rules)
 *   3. retag the digest in the registry with the environment's tags
 *   4. commit the manifest entry on the environment branch
 *   5. the first time a version is cut: tag {service}/{version} and create its release branch
 * Each step is idempotent, in an order where a crash anywhere leaves a state a re-run completes.
 * Steps 1–2 live in plan.ts, 3–5 in steps.ts, the outputs and summary in summary.ts.
 */
import { explainPromotionFailure, UserError, type PromotionProgress } from '@sd-actions/core';
import { getString, log } from '@sd-actions/action-kit';
import { ScratchRepo } from '@sd-actions/git';
import { resolveRemote } from '@sd-actions/gitops';
import { openRegistry } from '@sd-actions/registry';
import { readInputs } from './inputs.js';
import { runBatch } from './batch.js';
import { announce, planPromotion } from './plan.js';
import { manifestStep, releaseStep, rethrowAfterSettling, retagStep } from './steps.js';
import { report } from './summary.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const inp = await readInputs();
  const { config, workspace, credentials } = inp;

  const remote = await resolveRemote(workspace, 'origin', getString('token'), { mask: log.setSecret });
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  const registry = openRegistry(config.registry, { workspace, credentials });
  const progress: PromotionProgress = { done: [] };
  try {
    if (inp.batch) return await runBatch(inp, repo, registry, remote, progress);
    const build =
      inp.digestInput && inp.sourceInput ? { digest: inp.digestInput, commit: inp.sourceInput } : undefined;
    const plan = await planPromotion(inp, inp.service, repo, remote, build);
    announce(inp, plan);
    const tagPlan = await retagStep(inp, plan, registry, progress);
    const update = await manifestStep(inp, plan, repo, tagPlan, progress).catch((err: unknown) =>
      rethrowAfterSettling(err, registry, [{ plan, tagPlan }], inp.dryRun),
    );
    const release = await releaseStep(inp, plan, repo);
    await report(inp, plan, tagPlan, update, release, repo);
  } catch (err) {
    // A missing permission: say which, what already changed, and that a re-run completes it.
    const explained = explainPromotionFailure(
      (err as Error).message ?? String(err),
      config.registry.type,
      progress,
    );
    throw explained ? new UserError(explained) : err;
  } finally {
    await registry.close?.();
    await repo.dispose();
  }
}
