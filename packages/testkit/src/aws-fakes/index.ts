/**
 * Wire-level fakes of the AWS services the actions call (CodePipeline, CloudWatch, SNS), each on
 * its own loopback port, and the environment that points the real AWS SDK clients at them.
 */
import { startFakeCloudWatch, type FakeCloudWatch } from './cloudwatch.js';
import { startFakeCodePipeline, type FakeCodePipeline } from './codepipeline.js';
import { startFakeSns, type FakeSns } from './sns.js';

export * from './common.js';
export * from './codepipeline.js';
export * from './cloudwatch.js';
export * from './sns.js';

export interface AwsFakes {
  codepipeline: FakeCodePipeline;
  cloudwatch: FakeCloudWatch;
  sns: FakeSns;
  /** The environment for a process (or this one) whose AWS SDK clients must reach the fakes. */
  env(): Record<string, string>;
  stop(): Promise<void>;
}

export const FAKE_AWS_REGION = 'us-east-1';

/**
 * Environment for the AWS SDK: the fakes' endpoints (`AWS_ENDPOINT_URL_<SERVICE>`), a region, and
 * dummy static credentials, with every other source of configuration (files, instance metadata)
 * switched off so a developer's own AWS setup never leaks into a test.
 */
export function awsTestEnv(
  endpoints: { codepipeline?: string; cloudwatch?: string; sns?: string },
  region = FAKE_AWS_REGION,
): Record<string, string> {
  return {
    ...(endpoints.codepipeline ? { AWS_ENDPOINT_URL_CODEPIPELINE: endpoints.codepipeline } : {}),
    ...(endpoints.cloudwatch ? { AWS_ENDPOINT_URL_CLOUDWATCH: endpoints.cloudwatch } : {}),
    ...(endpoints.sns ? { AWS_ENDPOINT_URL_SNS: endpoints.sns } : {}),
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'AKIDFAKEEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-access-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

/** Start the three fakes. */
export async function startAwsFakes(options: { pageSize?: number; region?: string } = {}): Promise<AwsFakes> {
  const [codepipeline, cloudwatch, sns] = await Promise.all([
    startFakeCodePipeline(options),
    startFakeCloudWatch(options),
    startFakeSns(options),
  ]);
  return {
    codepipeline,
    cloudwatch,
    sns,
    env: () =>
      awsTestEnv(
        { codepipeline: codepipeline.endpoint, cloudwatch: cloudwatch.endpoint, sns: sns.endpoint },
        options.region,
      ),
    stop: async () => {
      await Promise.all([codepipeline.stop(), cloudwatch.stop(), sns.stop()]);
    },
  };
}

/** Set variables in process.env; returns a function that puts the previous values back. */
export function applyEnv(vars: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
