/**
 * Step 5: CodePipeline RollbackStage, after the GitOps rollback (the source of truth) has landed.
 * A failure here is returned, not thrown, so outputs and summary are still written first.
 */
import { renderVerifyTemplate, show, UserError } from '@sd-actions/core';
import { recordChange } from '@sd-actions/action-kit';
import { CodePipeline } from '@sd-actions/aws';
import type { Inputs } from './inputs.js';
import type { Rollback } from './prepare.js';

export interface PipelineOutcome {
  /** The summary's CodePipeline row, when there is one. */
  line?: string;
  /** The error to fail the run with once outputs and summary are written. */
  error?: string;
}

export async function rollBackPipeline(
  inputs: Inputs,
  plan: Rollback,
  commit: string,
): Promise<PipelineOutcome> {
  const { service, environment, pipelineSpec, dryRun } = inputs;
  const { to } = plan;
  if (pipelineSpec?.stage !== undefined && commit) {
    const pipeline = renderVerifyTemplate(pipelineSpec.pipeline, {
      service: service.name,
      environment: environment.name,
      version: to.version,
      digest: to.digest,
    });
    const stage = pipelineSpec.stage;
    const revision = to.placedBy.sha;
    try {
      const cp = new CodePipeline();
      const execution = await cp.latestSucceededExecution(pipeline, stage, revision);
      if (!execution)
        throw new UserError(
          `no execution of pipeline ${show(pipeline)} succeeded in stage ${show(stage)} with source revision ${revision} (the commit that deployed ${to.version})`,
        );
      const id = await cp.rollbackStage(pipeline, stage, execution.pipelineExecutionId);
      recordChange(
        `CodePipeline ${pipeline}/${stage} rolled back to execution ${execution.pipelineExecutionId}`,
      );
      return {
        line: `${pipeline} / ${stage}: rolled back to execution ${execution.pipelineExecutionId} (new execution ${id})`,
      };
    } catch (err) {
      return {
        error: `The GitOps rollback of ${service.name} to ${to.version} in ${environment.name} landed (${commit.slice(0, 12)}), but CodePipeline ${show(pipeline)} stage ${show(stage)} was not rolled back: ${(err as Error).message}`,
        line: `not rolled back: ${(err as Error).message}`,
      };
    }
  }
  if (pipelineSpec?.stage !== undefined && dryRun)
    return { line: `would roll back ${pipelineSpec.pipeline} / ${pipelineSpec.stage}` };
  return {};
}
