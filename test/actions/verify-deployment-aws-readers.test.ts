/**
 * verify-deployment's AWS readers are built only for the checks that need them (no region, no
 * client, no SDK otherwise), and the region is settled before anything runs.
 */
import { describe, expect, test } from '@jest/globals';
import { combineVerify, parseChecksInput } from '@sd-actions/core';
import { awsNeeds, awsReaders } from '../../actions/verify-deployment/src/aws-readers.js';

const plan = async (checks: string) => combineVerify(undefined, undefined, await parseChecksInput(checks));

describe('verify-deployment AWS readers', () => {
  test('no alarms and no pipeline: no readers, and no region needed', async () => {
    const p = await plan('command: "true"\n');
    expect(awsNeeds(p)).toEqual({ alarms: false, pipeline: false });
    expect(awsReaders(p, { env: {} })).toEqual({});
  });

  test('only the readers the checks need', async () => {
    const alarms = awsReaders(await plan('alarms: { warning: [blue-cpu] }\n'), {
      env: { AWS_REGION: 'us-east-1' },
    });
    expect(Object.keys(alarms)).toEqual(['alarms']);
    const pipeline = awsReaders(await plan('codepipeline: { pipeline: blue-prod }\n'), {
      env: { AWS_DEFAULT_REGION: 'eu-west-1' },
    });
    expect(Object.keys(pipeline)).toEqual(['pipelines']);
  });

  test('the region: the input, else AWS_REGION or AWS_DEFAULT_REGION; none, or a malformed one, is an error', async () => {
    const p = await plan('alarms: { critical: [x] }\ncodepipeline: { pipeline: p }\n');
    expect(() => awsReaders(p, { env: { AWS_REGION: '' } })).toThrow(
      'verify: alarms and codepipeline checks need an AWS region: set the aws-region input, or AWS_REGION',
    );
    expect(() => awsReaders(p, { region: 'US-EAST-1', env: { AWS_REGION: 'us-east-1' } })).toThrow(
      'Input "aws-region": "US-EAST-1" is not an AWS region; expected e.g. us-east-1',
    );
    expect(Object.keys(awsReaders(p, { region: 'ap-southeast-2', env: {} })).sort()).toEqual([
      'alarms',
      'pipelines',
    ]);
  });
});
