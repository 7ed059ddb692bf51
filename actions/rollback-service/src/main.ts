/**
 * rollback-service (issue 13) — undo a bad deployment of one service in one environment:
 *   1. read the environment branch's ledger and manifest; plan the target (planRollback): the
 *      newest earlier version verified healthy, or `to-version`; idempotent, loop-guarded
 *   2. check the target's ledger digest against the registry
 *   3. move only the environment's moving tags back to the target digest
 *   4. one commit on the environment branch: the entry restored + the bad version quarantined
 *   5. CodePipeline RollbackStage, when the environment's verify.codepipeline names a stage
 * Everything is checked before the first write; each step converges on a re-run.
 */
import { UserError } from '@sd-actions/core';
import { getString, log, writeSummary } from '@sd-actions/action-kit';
import { ScratchRepo } from '@sd-actions/git';
import { resolveRemote } from '@sd-actions/gitops';
import { openRegistry } from '@sd-actions/registry';
import { applyPlan } from './apply.js';
import { readInputs } from './inputs.js';
import { rollBackPipeline } from './pipeline.js';
import { readPlan } from './plan.js';
import { prepare } from './prepare.js';
import { summary } from './summary.js';

function setOutputs(o: {
  rolledBack: boolean;
  to: string;
  from: string;
  digest: string;
  commit: string;
  quarantined: string;
}): void {
  log.setOutput('rolled-back', o.rolledBack ? 'true' : 'false');
  log.setOutput('rolled-back-to', o.to);
  log.setOutput('rolled-back-from', o.from);
  log.setOutput('digest', o.digest);
  log.setOutput('commit', o.commit);
  log.setOutput('quarantined', o.quarantined);
}

export async function run(): Promise<void> {
  const inputs = await readInputs();
  const { context, workspace, config, service, environment, dryRun } = inputs;

  const remote = await resolveRemote(workspace, getString('remote') ?? 'origin', getString('token'), {
    mask: log.setSecret,
  });
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  const registry = openRegistry(config.registry, { workspace, credentials: inputs.credentials });
  try {
    // 1. The ledger, the manifest and the plan.
    const read = await readPlan(repo, inputs);
    const { plan } = read;
    if (plan.kind === 'refused')
      throw new UserError(
        `Rollback of ${service.name} in ${environment.name} refused [${plan.rule}]: ${plan.message}`,
      );
    if (plan.kind === 'noop') {
      log.info(plan.message);
      setOutputs({
        rolledBack: false,
        to: plan.current.version,
        from: inputs.fromVersion ?? plan.rollback?.rollbackOf ?? '',
        digest: plan.current.digest,
        commit: '',
        quarantined: '',
      });
      await writeSummary(
        `### rollback ${service.name} in ${environment.name}: nothing to do\n\n${plan.message}\n`,
      );
      return;
    }
    const { from, to } = plan;

    // 2. Everything checked and worked out before the first write.
    const prepared = await prepare(registry, inputs, read, plan);
    log.info(
      `Rolling back ${service.name} in ${environment.name}: ${from.version} → ${to.version} (${to.basis}) ${prepared.image}@${to.digest}`,
    );
    for (const s of plan.skipped) log.info(`passed over ${s.version}: ${s.why}`);

    // 3 + 4. Registry tags, then the commit.
    const { commit, didQuarantine } = await applyPlan(repo, registry, inputs, read, plan, prepared);

    // 5. CodePipeline.
    const pipeline = await rollBackPipeline(inputs, plan, commit);

    setOutputs({
      rolledBack: true,
      to: to.version,
      from: from.version,
      digest: to.digest,
      commit,
      quarantined: didQuarantine,
    });

    await writeSummary(
      await summary({
        repo,
        config,
        plan,
        dryRun,
        commit,
        tagPlan: prepared.tagPlan,
        didQuarantine,
        pipelineLine: pipeline.line,
        reason: inputs.reason,
        branch: environment.branch,
        context,
        serviceName: service.name,
        environmentName: environment.name,
      }),
    );
    if (pipeline.error) throw new UserError(pipeline.error);
  } finally {
    await registry.close?.();
    await repo.dispose();
  }
}
