/**
 * CloudWatch alarm states for verification: metric and composite alarms by name, every page, in
 * batches of at most 100 names (DescribeAlarms' limit). A name CloudWatch does not know is
 * reported as missing, never as fine: the caller fails closed on it.
 */
import type * as CloudWatchSdk from '@aws-sdk/client-cloudwatch';
import { show } from '@sd-actions/core';
import { callAws, LazyClient, type AwsClientOptions } from './call.js';
import { AwsError } from './errors.js';
import { checkAlarmName } from './validate.js';

type Sdk = typeof CloudWatchSdk;
type Client = CloudWatchSdk.CloudWatchClient;

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmReading {
  name: string;
  type: 'MetricAlarm' | 'CompositeAlarm';
  state: AlarmState;
  reason?: string;
  updatedAt?: Date;
  arn?: string;
}

export interface AlarmReadings {
  /** The alarms found, in the order their names were asked for. */
  alarms: AlarmReading[];
  /** Names asked for that CloudWatch does not have (in either kind). */
  missing: string[];
}

export interface CloudWatchAlarmsOptions extends AwsClientOptions {
  /** Bound on pages per batch of names (default 50). */
  maxPages?: number;
}

const BATCH = 100;

export class CloudWatchAlarms {
  private readonly lazy: LazyClient<Sdk, Client>;

  constructor(private readonly options: CloudWatchAlarmsOptions = {}) {
    this.lazy = new LazyClient(
      () => import('@aws-sdk/client-cloudwatch'),
      (sdk) =>
        new sdk.CloudWatchClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: 1 }),
    );
  }

  get sdkLoaded(): boolean {
    return this.lazy.isLoaded;
  }

  /** The states of the named alarms; unknown names come back in `missing`. */
  async readAlarms(names: readonly string[]): Promise<AlarmReadings> {
    names.forEach((n, i) => checkAlarmName(n, `alarm name ${i + 1}`));
    const wanted = [...new Set(names)];
    if (wanted.length === 0) return { alarms: [], missing: [] };
    const { sdk, client } = await this.lazy.get().catch((err: unknown) => {
      throw new AwsError(`CloudWatch DescribeAlarms: cannot load the AWS SDK: ${String(err)}`, {
        awsName: 'SdkLoadError',
        operation: 'DescribeAlarms',
        cause: err,
      });
    });
    const found = new Map<string, AlarmReading>();
    const maxPages = this.options.maxPages ?? 50;
    for (let i = 0; i < wanted.length; i += BATCH) {
      const batch = wanted.slice(i, i + BATCH);
      const what = `CloudWatch DescribeAlarms for ${
        batch.length === 1
          ? `alarm ${show(batch[0])}`
          : `alarms ${batch
              .slice(0, 3)
              .map((n) => show(n))
              .join(', ')}${batch.length > 3 ? ` and ${batch.length - 3} more` : ''}`
      }`;
      let nextToken: string | undefined;
      let page = 0;
      do {
        if (++page > maxPages)
          throw new AwsError(
            `${what}: still paging after ${maxPages} pages; giving up rather than reading a partial answer`,
            {
              awsName: 'TooManyPages',
              operation: 'DescribeAlarms',
            },
          );
        const out = await callAws('DescribeAlarms', what, this.options.retry ?? {}, () =>
          client.send(
            new sdk.DescribeAlarmsCommand({
              AlarmNames: batch,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              MaxRecords: 100,
              ...(nextToken ? { NextToken: nextToken } : {}),
            }),
          ),
        );
        for (const a of out.MetricAlarms ?? [])
          if (a.AlarmName)
            found.set(a.AlarmName, {
              name: a.AlarmName,
              type: 'MetricAlarm',
              state: a.StateValue as AlarmState,
              reason: a.StateReason,
              updatedAt: a.StateUpdatedTimestamp,
              arn: a.AlarmArn,
            });
        for (const a of out.CompositeAlarms ?? [])
          if (a.AlarmName)
            found.set(a.AlarmName, {
              name: a.AlarmName,
              type: 'CompositeAlarm',
              state: a.StateValue as AlarmState,
              reason: a.StateReason,
              updatedAt: a.StateUpdatedTimestamp,
              arn: a.AlarmArn,
            });
        nextToken = out.NextToken;
      } while (nextToken);
    }
    return {
      alarms: wanted.filter((n) => found.has(n)).map((n) => found.get(n)!),
      missing: wanted.filter((n) => !found.has(n)),
    };
  }
}
