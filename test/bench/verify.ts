/**
 * Benchmark of the verification runner's own overhead per measurement.
 *
 *   node --import tsx test/bench/verify.ts [--reps=7] [--count=200]
 *
 * One loopback HTTP server answers a health body. Measured, interleaved, --reps times each
 * (median reported):
 *  - the floor: the bare request the runner makes — `fetch` of the URL and reading its body,
 *    --count times in a row;
 *  - the runner: runVerification with one http check (version + three JSON conditions, a
 *    `${VAR}` header) and count --count, on a virtual clock (so intervals cost nothing and only
 *    the runner's own work and its requests are timed).
 * Requests per measurement are counted at the server: the runner must make exactly one per
 * measurement (plus none for the rollout, which the first answer already shows).
 *
 * The same for an alarms check (three alarms, one composite) against the loopback CloudWatch
 * fake, read through verify-deployment's own readers (packages/aws's CloudWatchAlarms): the
 * floor is the bare SDK DescribeAlarms call it makes, with the same client settings.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { combineVerify, parseChecksInput } from '@sd-actions/core';
import { applyEnv, awsTestEnv, startFakeCloudWatch } from '@sd-actions/testkit';
import { runVerification, virtualClock } from '@sd-actions/verify';
import { awsReaders } from '../../actions/verify-deployment/src/aws-readers.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (!arg) return fallback;
  const value = Number(arg.slice(name.length + 3));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}
const REPS = option('reps', 7);
const COUNT = option('count', 200);

const BODY = JSON.stringify({
  version: '1.6.1',
  status: 'UP',
  latencyMs: 12,
  components: { dynamodb: { status: 'UP' }, cache: { status: 'UP' } },
});
let requests = 0;
const server = createServer((_req, res) => {
  requests++;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(BODY);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health/ready`;

const plan = combineVerify(
  undefined,
  undefined,
  await parseChecksInput(`interval: 10s
count: ${COUNT}
http:
  - url: ${url}
    version: $.version
    conditions: ['$.status == "UP"', '$.components.dynamodb.status == "UP"', '$.latencyMs < 500']
    headers: { Authorization: 'Bearer \${TOKEN}' }
`),
);

async function floor(): Promise<{ ms: number; requests: number }> {
  const before = requests;
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    const res = await fetch(url, { headers: { authorization: 'Bearer x' } });
    await res.text();
  }
  return { ms: performance.now() - started, requests: requests - before };
}

async function runner(): Promise<{ ms: number; requests: number }> {
  const before = requests;
  const started = performance.now();
  const { report } = await runVerification({
    plan,
    subject: { service: 'blue', environment: 'production', version: '1.6.1' },
    timeoutMs: 3_600_000,
    env: { TOKEN: 'secret' },
    clock: virtualClock(),
  });
  const ms = performance.now() - started;
  if (report.result !== 'healthy') throw new Error(`unexpected verdict: ${report.reason}`);
  return { ms, requests: requests - before };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floors: number[] = [];
const runs: number[] = [];
let floorRequests = 0;
let runnerRequests = 0;
await floor(); // warm up both paths (JIT, sockets)
await runner();
for (let i = 0; i < REPS; i++) {
  const f = await floor();
  const r = await runner();
  floors.push(f.ms / COUNT);
  runs.push(r.ms / COUNT);
  floorRequests = f.requests;
  runnerRequests = r.requests;
}
server.close();

const f = median(floors);
const r = median(runs);
console.log(`verify runner: ${COUNT} measurements per run, ${REPS} interleaved reps, medians`);
console.log(
  `  bare request (fetch + body):     ${(f * 1000).toFixed(0).padStart(6)} µs/measurement, ${floorRequests / COUNT} requests`,
);
console.log(
  `  runner (probe + judge + report): ${(r * 1000).toFixed(0).padStart(6)} µs/measurement, ${runnerRequests / COUNT} requests`,
);
console.log(`  overhead: ${((r - f) * 1000).toFixed(0)} µs per measurement (ratio ${(r / f).toFixed(2)})`);
if (runnerRequests !== COUNT) {
  console.error(`expected ${COUNT} requests from the runner, saw ${runnerRequests}`);
  process.exit(1);
}

// Alarms: the runner with the action's CloudWatch reader against the bare SDK call.
const cloudwatch = await startFakeCloudWatch({ pageSize: 100 });
const restore = applyEnv(awsTestEnv({ cloudwatch: cloudwatch.endpoint }));
cloudwatch.setAlarm('blue-5xx', 'OK');
cloudwatch.setAlarm('blue-latency', 'OK');
cloudwatch.setAlarm('blue-health', 'OK', { type: 'CompositeAlarm' });
const alarmPlan = combineVerify(
  undefined,
  undefined,
  await parseChecksInput(
    `interval: 10s\ncount: ${COUNT}\nalarms: { critical: [blue-5xx, blue-health], warning: [blue-latency] }\n`,
  ),
);
const sdk = new CloudWatchClient({ region: 'us-east-1', maxAttempts: 1 });
const names = ['blue-5xx', 'blue-health', 'blue-latency'];

async function alarmFloor(): Promise<{ ms: number; requests: number }> {
  const before = cloudwatch.calls.length;
  const started = performance.now();
  for (let i = 0; i < COUNT; i++)
    await sdk.send(
      new DescribeAlarmsCommand({
        AlarmNames: names,
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        MaxRecords: 100,
      }),
    );
  return { ms: performance.now() - started, requests: cloudwatch.calls.length - before };
}

async function alarmRunner(): Promise<{ ms: number; requests: number }> {
  const before = cloudwatch.calls.length;
  const started = performance.now();
  const { report } = await runVerification({
    plan: alarmPlan,
    subject: { service: 'blue', environment: 'production', version: '1.6.1' },
    timeoutMs: 3_600_000,
    clock: virtualClock(),
    ...awsReaders(alarmPlan, { env: process.env }),
  });
  const ms = performance.now() - started;
  if (report.result !== 'healthy') throw new Error(`unexpected verdict: ${report.reason}`);
  return { ms, requests: cloudwatch.calls.length - before };
}

const alarmFloors: number[] = [];
const alarmRuns: number[] = [];
let alarmFloorRequests = 0;
let alarmRunnerRequests = 0;
await alarmFloor();
await alarmRunner();
for (let i = 0; i < REPS; i++) {
  const af = await alarmFloor();
  const ar = await alarmRunner();
  alarmFloors.push(af.ms / COUNT);
  alarmRuns.push(ar.ms / COUNT);
  alarmFloorRequests = af.requests;
  alarmRunnerRequests = ar.requests;
}
restore();
sdk.destroy();
await cloudwatch.stop();
const af = median(alarmFloors);
const ar = median(alarmRuns);
console.log(
  `verify runner, alarms (3 alarms, 1 composite, CloudWatch fake on loopback): ${COUNT} measurements per run`,
);
console.log(
  `  bare SDK DescribeAlarms:          ${(af * 1000).toFixed(0).padStart(6)} µs/measurement, ${alarmFloorRequests / COUNT} requests`,
);
console.log(
  `  runner (reader + judge + report): ${(ar * 1000).toFixed(0).padStart(6)} µs/measurement, ${alarmRunnerRequests / COUNT} requests`,
);
console.log(
  `  overhead: ${((ar - af) * 1000).toFixed(0)} µs per measurement (ratio ${(ar / af).toFixed(2)})`,
);
if (alarmRunnerRequests !== COUNT) {
  console.error(`expected ${COUNT} DescribeAlarms calls from the runner, saw ${alarmRunnerRequests}`);
  process.exit(1);
}
