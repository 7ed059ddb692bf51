/**
 * A loopback Amazon CloudWatch speaking what the installed `@aws-sdk/client-cloudwatch` sends:
 * AWS JSON 1.0 (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`, `x-amzn-query-mode: true`)
 * with query-compatible errors (`x-amzn-query-error: <Code>;<Sender|Receiver>`). Point the SDK at
 * it with AWS_ENDPOINT_URL_CLOUDWATCH. Implements DescribeAlarms for metric and composite alarms,
 * with AWS's rules: without `AlarmTypes` only metric alarms are answered, `AlarmNames` takes at
 * most 100 names, pages are small so pagination is exercised.
 */
import {
  decodeJson,
  epochSeconds,
  FakeAwsError,
  pageOffset,
  pageToken,
  startFakeService,
  type FakeAwsControls,
} from './common.js';

export type FakeAlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface FakeAlarm {
  name: string;
  type: 'MetricAlarm' | 'CompositeAlarm';
  state: FakeAlarmState;
  reason: string;
  updated: Date;
}

export interface FakeCloudWatch extends FakeAwsControls {
  alarms: Map<string, FakeAlarm>;
  /** Create an alarm or change its state. */
  setAlarm(
    name: string,
    state: FakeAlarmState,
    options?: { type?: FakeAlarm['type']; reason?: string },
  ): FakeAlarm;
  removeAlarm(name: string): void;
}

const TARGET = 'GraniteServiceVersion20100801.';
const ACCOUNT = '123456789012';

export async function startFakeCloudWatch(
  options: { pageSize?: number; region?: string } = {},
): Promise<FakeCloudWatch> {
  const pageSize = options.pageSize ?? 2;
  const region = options.region ?? 'us-east-1';
  const alarms = new Map<string, FakeAlarm>();
  let clock = Date.parse('2026-01-01T00:00:00Z');

  const stringList = (input: Record<string, unknown>, member: string, max: number): string[] | undefined => {
    const value = input[member];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw new FakeAwsError(
        'ValidationError',
        `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must be a list of strings`,
      );
    if (value.length > max)
      throw new FakeAwsError(
        'ValidationError',
        `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
      );
    return value as string[];
  };

  const out = (a: FakeAlarm) => {
    const common = {
      AlarmName: a.name,
      AlarmArn: `arn:aws:cloudwatch:${region}:${ACCOUNT}:alarm:${a.name}`,
      StateValue: a.state,
      StateReason: a.reason,
      StateUpdatedTimestamp: epochSeconds(a.updated),
      StateTransitionedTimestamp: epochSeconds(a.updated),
      ActionsEnabled: true,
    };
    return a.type === 'CompositeAlarm'
      ? { ...common, AlarmRule: 'ALARM(child)' }
      : {
          ...common,
          MetricName: 'HTTPCode_Target_5XX_Count',
          Namespace: 'AWS/ApplicationELB',
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        };
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    DescribeAlarms(input) {
      const names = stringList(input, 'AlarmNames', 100);
      const types = stringList(input, 'AlarmTypes', 3) ?? ['MetricAlarm'];
      const prefix = input.AlarmNamePrefix as string | undefined;
      if (names && prefix !== undefined)
        throw new FakeAwsError(
          'InvalidParameterCombination',
          'AlarmNames and AlarmNamePrefix cannot be specified together',
        );
      const state = input.StateValue as string | undefined;
      if (state !== undefined && !['OK', 'ALARM', 'INSUFFICIENT_DATA'].includes(state))
        throw new FakeAwsError(
          'ValidationError',
          `1 validation error detected: Value '${state}' at 'stateValue' failed to satisfy constraint`,
        );
      const max = input.MaxRecords === undefined ? 50 : Number(input.MaxRecords);
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw new FakeAwsError(
          'ValidationError',
          `1 validation error detected: Value at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100`,
        );
      const offset = pageOffset(input.NextToken);
      if (offset === undefined)
        throw new FakeAwsError('InvalidNextToken', 'The service cannot decode the next token');
      const all = [...alarms.values()]
        .filter((a) => types.includes(a.type))
        .filter((a) => !names || names.includes(a.name))
        .filter((a) => prefix === undefined || a.name.startsWith(prefix))
        .filter((a) => state === undefined || a.state === state)
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const size = Math.min(max, pageSize);
      const page = all.slice(offset, offset + size);
      return {
        MetricAlarms: page.filter((a) => a.type === 'MetricAlarm').map(out),
        CompositeAlarms: page.filter((a) => a.type === 'CompositeAlarm').map(out),
        ...(offset + size < all.length ? { NextToken: pageToken(offset + size) } : {}),
      };
    },
  };

  const controls = await startFakeService(
    {
      service: 'cloudwatch',
      signingName: 'monitoring',
      decode: (req, body) => {
        const decoded = decodeJson(req, body, '1.0', TARGET);
        if (req.headers['x-amzn-query-mode'] !== 'true')
          throw new FakeAwsError(
            'UnknownOperationException',
            'expected x-amzn-query-mode: true from a query-compatible client',
          );
        return decoded;
      },
      encodeResult: (_op, result) => ({
        headers: { 'Content-Type': 'application/x-amz-json-1.0' },
        body: JSON.stringify(result),
      }),
      encodeError: (_op, err) => ({
        headers: {
          'Content-Type': 'application/x-amz-json-1.0',
          'x-amzn-query-error': `${err.code};${err.type}`,
        },
        body: JSON.stringify({ __type: `com.amazonaws.cloudwatch#${err.code}`, message: err.message }),
      }),
      throttling: { code: 'Throttling', status: 400, message: 'Rate exceeded' },
    },
    operations,
  );

  return {
    ...controls,
    alarms,
    setAlarm(name, state, opts = {}) {
      const current = alarms.get(name);
      const alarm: FakeAlarm = {
        name,
        type: opts.type ?? current?.type ?? 'MetricAlarm',
        state,
        reason: opts.reason ?? `Threshold Crossed: set to ${state} by the test`,
        updated: new Date((clock += 1000)),
      };
      alarms.set(name, alarm);
      return alarm;
    },
    removeAlarm: (name) => void alarms.delete(name),
  };
}
