/**
 * The verification runner's AWS readers, on the adapters of @sd-actions/aws: CloudWatch alarm
 * states (metric and composite) and the CodePipeline execution of a source revision. Built only
 * when the plan has alarms or a pipeline, and each SDK is imported on its first call only.
 * Failures after the adapters' retries reach the runner as errors, which it judges unhealthy
 * (fail closed), naming the error.
 */
import { show, UserError, type VerifyPlan } from '@sd-actions/core';
import { CloudWatchAlarms, CodePipeline, type AwsRetryOptions } from '@sd-actions/aws';
import type { AlarmReader, PipelineReader } from '@sd-actions/verify';

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export interface AwsReaderOptions {
  /** The `aws-region` input; else AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  env: Record<string, string | undefined>;
  /** Told before each retry of an AWS call. */
  onRetry?: AwsRetryOptions['onRetry'];
}

/** Which AWS-backed checks a plan has. */
export function awsNeeds(plan: VerifyPlan): { alarms: boolean; pipeline: boolean } {
  return {
    alarms: plan.alarms.critical.length + plan.alarms.warning.length > 0,
    pipeline: plan.codepipeline !== undefined,
  };
}

/**
 * The readers a plan needs (none when it has no AWS checks). The region is settled here, before
 * anything runs: an input that is not a region, or no region at all, is a clear error.
 */
export function awsReaders(
  plan: VerifyPlan,
  options: AwsReaderOptions,
): { alarms?: AlarmReader; pipelines?: PipelineReader } {
  const needs = awsNeeds(plan);
  if (!needs.alarms && !needs.pipeline) return {};
  if (options.region !== undefined && !REGION.test(options.region))
    throw new UserError(
      `Input "aws-region": ${show(options.region)} is not an AWS region; expected e.g. us-east-1`,
    );
  const region = options.region || options.env.AWS_REGION || options.env.AWS_DEFAULT_REGION;
  if (!region)
    throw new UserError(
      `verify: ${[needs.alarms ? 'alarms' : '', needs.pipeline ? 'codepipeline' : ''].filter(Boolean).join(' and ')} checks need an AWS region: set the aws-region input, or AWS_REGION (aws-actions/configure-aws-credentials sets it)`,
    );
  const client = { region, retry: { ...(options.onRetry ? { onRetry: options.onRetry } : {}) } };
  const readers: { alarms?: AlarmReader; pipelines?: PipelineReader } = {};
  if (needs.alarms) {
    const cloudwatch = new CloudWatchAlarms(client);
    readers.alarms = {
      // Names CloudWatch does not have are left out: the judge reports them as missing (unhealthy).
      readAlarms: async (names) =>
        (await cloudwatch.readAlarms(names)).alarms.map((a) => ({ name: a.name, state: a.state })),
    };
  }
  if (needs.pipeline) {
    const codepipeline = new CodePipeline(client);
    readers.pipelines = {
      findExecution: async ({ pipeline, sourceRevision, stage }) => {
        const e = await codepipeline.findExecution(pipeline, sourceRevision);
        if (!e) return undefined;
        // With a stage: once the execution has succeeded in it (the deploy), later stages need not end.
        if (stage !== undefined && e.status === 'InProgress') {
          const done = await codepipeline.latestSucceededExecution(pipeline, stage, sourceRevision);
          if (done?.pipelineExecutionId === e.pipelineExecutionId)
            return { id: e.pipelineExecutionId, status: 'Succeeded' };
        }
        return { id: e.pipelineExecutionId, status: e.status };
      },
    };
  }
  return readers;
}
