// AWS adapters: CodePipeline, CloudWatch, SNS. Each SDK client is imported on first use only.
export * from './errors.js';
export { isTransient, type AwsClientOptions, type AwsRetryOptions } from './call.js';
export * from './codepipeline.js';
export * from './cloudwatch.js';
export * from './sns.js';
