/** Step 1: the environment branch's ledger and manifest, and the plan made from them. */
import {
  parseManifest,
  parseQuarantine,
  planRollback,
  rollbackOfThisRun,
  show,
  UserError,
  type RollbackDecision,
} from '@sd-actions/core';
import { log, now } from '@sd-actions/action-kit';
import type { ScratchRepo } from '@sd-actions/git';
import { fetchLedgerBranch, manifestPathOf, readLedger } from '@sd-actions/gitops';
import type { Inputs } from './inputs.js';

export interface PlanRead {
  manifestPath: string;
  /** `branch:path`, how errors name the manifest. */
  file: string;
  /** The manifest as read at the tip the plan was made on. */
  text: string;
  plan: RollbackDecision;
}

export async function readPlan(repo: ScratchRepo, inputs: Inputs): Promise<PlanRead> {
  const { config, service, environment, context } = inputs;
  const branch = environment.branch;
  const manifestPath = manifestPathOf(config, environment.name);
  const file = `${branch}:${manifestPath}`;
  const tip = await fetchLedgerBranch(repo, branch);
  if (!tip)
    throw new UserError(
      `Branch ${show(branch)} does not exist: ${service.name} was never deployed to ${environment.name}, so there is nothing to roll back`,
    );
  const text = await repo.readFile(tip, manifestPath);
  if (text === undefined)
    throw new UserError(`${file} does not exist: nothing is deployed to ${environment.name}`);
  const entry = parseManifest(text, file).services.get(service.name);
  const quarantined = parseQuarantine(text, file);
  const ledger = await readLedger(repo.git, tip, environment.name, { service: service.name });
  for (const m of ledger.malformed)
    log.warning(
      `Ledger record ${m.sha.slice(0, 12)} (${m.subject}) is malformed and was skipped: ${m.problems.join('; ')}`,
      { title: 'Ledger' },
    );
  // A re-run of the run that already rolled back finds its own commit: nothing more to do.
  const sameRun = rollbackOfThisRun(ledger, entry, context.runUrl);
  const plan: RollbackDecision = sameRun
    ? {
        kind: 'noop',
        current: { version: sameRun.version, digest: sameRun.digest },
        rollback: sameRun,
        message: `${service.name} in ${environment.name}: this run (${context.runUrl}) already rolled ${sameRun.previousVersion} back to ${sameRun.version} (${sameRun.sha.slice(0, 12)}); nothing to do`,
      }
    : planRollback({
        service: service.name,
        environment: environment.name,
        current: entry,
        ledger,
        quarantine: quarantined,
        toVersion: inputs.toVersion,
        fromVersion: inputs.fromVersion,
        reason: inputs.reason,
        cooldownMs: inputs.cooldownMs,
        allowUnverified: inputs.allowUnverified,
        allowQuarantined: inputs.allowQuarantined,
        now: now(),
      });
  return { manifestPath, file, text, plan };
}
