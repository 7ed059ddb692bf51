/** Checks of the names the adapters send, made before any call so bad input changes nothing. */
import { show, UserError } from '@sd-actions/core';

const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
const EXECUTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;

/** A pipeline, stage or action name as CodePipeline accepts it. */
export function checkPipelineName(value: unknown, what: string): string {
  if (typeof value !== 'string' || !PIPELINE_NAME.test(value))
    throw new UserError(
      `${what}: ${show(value)} is not a CodePipeline name; use 1-100 characters of letters, digits, . @ _ -`,
    );
  return value;
}

export function checkExecutionId(value: unknown, what: string): string {
  if (typeof value !== 'string' || !EXECUTION_ID.test(value))
    throw new UserError(
      `${what}: ${show(value)} is not a pipeline execution id; expected a UUID like 3137f7cb-7cf7-4b9b-9b0e-4d5c3f1a2b3c`,
    );
  return value;
}

export function checkRevision(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > 1500)
    throw new UserError(
      `${what}: ${show(value)} is not a source revision; give the commit SHA the pipeline ran`,
    );
  return value;
}

export function checkAlarmName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 255 || /[\u0000-\u001f]/.test(value))
    throw new UserError(
      `${what}: ${show(value)} is not a CloudWatch alarm name; use 1-255 characters without control characters`,
    );
  return value;
}

export function checkTopicArn(value: unknown, what: string): string {
  if (typeof value !== 'string' || !TOPIC_ARN.test(value))
    throw new UserError(
      `${what}: ${show(value)} is not an SNS topic ARN; expected arn:aws:sns:<region>:<account-id>:<topic-name>`,
    );
  return value;
}
