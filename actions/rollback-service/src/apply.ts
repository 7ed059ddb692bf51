/** Steps 3 and 4: the moving tags back to the target digest, then one commit on the environment branch. */
import { applyRollback, environmentUrl, UserError } from '@sd-actions/core';
import { deploymentsAccess, log, recordChange } from '@sd-actions/action-kit';
import { updateBranch, type ScratchRepo } from '@sd-actions/git';
import { rollbackDeployments } from '@sd-actions/github';
import { retag, type openRegistry } from '@sd-actions/registry';
import type { Inputs } from './inputs.js';
import type { PlanRead } from './plan.js';
import type { Prepared, Rollback } from './prepare.js';

export interface Applied {
  /** The rollback commit ('' on a dry run or when it was already in place). */
  commit: string;
  /** The version quarantined by this run ('' when none). */
  didQuarantine: string;
}

export async function applyPlan(
  repo: ScratchRepo,
  registry: ReturnType<typeof openRegistry>,
  inputs: Inputs,
  read: PlanRead,
  plan: Rollback,
  prepared: Prepared,
): Promise<Applied> {
  const { service, environment, context, dryRun } = inputs;
  const { from, to } = plan;
  const { image } = prepared;
  const { manifestPath } = read;
  const branch = environment.branch;

  // 3. Registry: moving tags back to the target digest.
  if (!dryRun) {
    await retag(registry, service.image, prepared.manifest, prepared.requests);
    for (const t of prepared.tagPlan)
      if (t.action === 'add' || t.action === 'move')
        recordChange(`registry tag ${image}:${t.tag} moved to ${to.digest}`);
  }

  // 4. One commit: the entry restored and the bad version quarantined.
  const update = await updateBranch<{ entryChanged: boolean; quarantineChanged: boolean }>({
    repo,
    branch,
    dryRun,
    log: (line) => log.info(line),
    edit: async (state) => {
      const now = state.tip ? await state.read(manifestPath) : undefined;
      if (now === undefined)
        throw new UserError(`${read.file} disappeared while this rollback ran; nothing was pushed`);
      const edit = applyRollback({
        text: now,
        file: read.file,
        environment: environment.name,
        service: service.name,
        from,
        target: prepared.target,
        quarantine: prepared.quarantineEntry,
      });
      const value = { entryChanged: edit.entryChanged, quarantineChanged: edit.quarantineChanged };
      if (!edit.entryChanged && !edit.quarantineChanged) return { value };
      return { files: { [manifestPath]: edit.text }, message: prepared.message, value };
    },
  });
  if (!dryRun && update.changed && update.commit)
    recordChange(`rollback commit ${update.commit.slice(0, 12)} pushed to ${branch}`);
  const commit = !dryRun && update.commit ? update.commit : '';
  if (commit && update.changed && inputs.deployments)
    await rollbackDeployments(deploymentsAccess(context.repository), {
      service: service.name,
      environment: environment.name,
      fromDigest: from.digest,
      to: { version: to.version, digest: to.digest, commit: to.sourceCommit },
      logUrl: context.runUrl,
      environmentUrl: environmentUrl(environment, { service: service.name, version: to.version }),
    });
  const didQuarantine = inputs.quarantine && (update.value.quarantineChanged || dryRun) ? from.version : '';
  return { commit, didQuarantine };
}
