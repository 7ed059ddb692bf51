/**
 * verify-deployment, run from its committed bundle the way the runner runs it, against a real
 * bare origin (the ledger) and real health endpoints on loopback: healthy and unhealthy
 * verdicts, their ledger commits and trailers, the re-run that adds no commit, a verdict about a
 * version that no longer runs, masking, and bad input that measures and records nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseVerificationMessage, promotionMessage } from '@sd-actions/core';
import {
  checkoutClone,
  commit,
  git,
  originAndClone,
  removeDir,
  runAction,
  tempDir,
  type ActionRun,
} from '@sd-actions/testkit';

const BRANCH = 'gitops/production-releases';
const DIGEST = `sha256:${'4'.repeat(64)}`;
let root: string;
let origin: string;
let workspace: string;
let server: Server;
let base: string;
/** What the endpoint answers: changed by the tests. */
let health: () => { status: number; body: unknown } = () => ({ status: 200, body: {} });
const requests: IncomingMessage[] = [];

const CONFIG = (url: string) => `registry: { type: oci, url: registry.example:5000/acme }
services:
  blue:
    path: projects/blue
    verify:
      http:
        - url: ${url}/{service}/health/ready
          version: $.version
          conditions: ['$.status == "UP"', '$.latencyMs < 500']
          headers: { Authorization: 'Bearer \${HEALTH_TOKEN}' }
      command: 'test "$SD_SERVICE/$SD_VERSION" = "blue/1.6.1" && echo "smoke ok for $SD_DIGEST"'
environments:
  staging: { branch: gitops/staging-releases }
  production:
    from: staging
    branch: ${BRANCH}
    verify: { interval: 100ms, count: 3, rolloutTimeout: 5m }
`;

const MANIFEST = (version: string) => `environment: production
services:
  blue:
    version: ${version}
    image: registry.example:5000/acme/blue
    digest: ${DIGEST}
`;

function verify(inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction('verify-deployment', {
    workspace,
    inputs: { service: 'blue', environment: 'production', ...inputs },
    env: { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', HEALTH_TOKEN: 'hunter2-token', ...env },
  });
}

const tip = () => git(origin, 'rev-parse', BRANCH);
const message = (ref: string) => git(origin, 'log', '-1', '--format=%B', ref);

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    const a = health();
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(a.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  root = tempDir('verify-');
  let work: string;
  ({ origin, work } = originAndClone(root));
  commit(work, 'initial', { '.github/sd-actions.yml': CONFIG(base), 'projects/blue/app.js': '1' });
  git(work, 'push', '-q', 'origin', 'main');
  git(work, 'checkout', '-q', '--orphan', BRANCH);
  git(work, 'rm', '-rq', '--cached', '.');
  const promote = (version: string, previousVersion?: string) =>
    commit(
      work,
      promotionMessage({
        service: 'blue',
        environment: 'production',
        version,
        previousVersion,
        digest: DIGEST,
        fromEnvironment: 'staging',
      }),
      { 'release-manifests/production.yaml': MANIFEST(version) },
    );
  promote('1.6.0');
  promote('1.6.1', '1.6.0');
  git(work, 'push', '-q', 'origin', BRANCH);
  workspace = checkoutClone(origin, join(root, 'checkout'), { depth: 1 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  removeDir(root);
});

const UP = { version: '1.6.1', status: 'UP', latencyMs: 20 };

describe('verify-deployment', () => {
  test('healthy: waits for the rollout, measures, records the verdict once', async () => {
    let n = 0;
    health = () => ({ status: 200, body: ++n <= 2 ? { ...UP, version: '1.6.0' } : UP });
    const before = tip();
    const run = await verify();
    if (run.code !== 0) throw new Error(`${run.stdout}\n${run.stderr}`);
    expect(run.outputs).toMatchObject({
      result: 'healthy',
      healthy: 'true',
      version: '1.6.1',
      digest: DIGEST,
    });
    expect(run.outputs.reason).toMatch(
      /^2 checks healthy: http 127\.0\.0\.1:\d+\/blue\/health\/ready, command /,
    );
    const report = JSON.parse(run.outputs.report!);
    expect(
      report.checks[0].measurements.map((m: { phase?: string; kind: string }) => m.phase ?? m.kind),
    ).toEqual(['rollout', 'rollout', 'success', 'success', 'success']);
    expect(report.checks[1].output).toEqual([`smoke ok for ${DIGEST}`]);
    expect(requests.at(-1)!.headers.authorization).toBe('Bearer hunter2-token');
    expect(run.masked).toContain('hunter2-token');
    expect(run.stdout.replace('::add-mask::hunter2-token', '')).not.toContain('hunter2-token');
    expect(run.summary).toContain('### ✓ healthy: blue 1.6.1 in production');
    expect(run.summary).toContain('| ✓ ✓ ✓ (after 2 rollout probes) |');

    // The ledger: one empty commit on the environment branch with the trailers.
    expect(run.outputs.commit).toBe(tip());
    expect(git(origin, 'rev-parse', `${tip()}^`)).toBe(before);
    expect(git(origin, 'diff', '--stat', before, tip())).toBe('');
    const msg = message(BRANCH);
    expect(msg.split('\n')[0]).toBe('verify(blue): 1.6.1 healthy in production');
    expect(parseVerificationMessage(msg)).toMatchObject({
      service: 'blue',
      environment: 'production',
      version: '1.6.1',
      digest: DIGEST,
      verification: 'healthy',
      runUrl: 'https://github.example/acme/monorepo/actions/runs/1234',
    });

    // The same verdict again: no second commit.
    const again = await verify();
    expect(again.code).toBe(0);
    expect(again.outputs.commit).toBe('');
    expect(tip()).toBe(run.outputs.commit);
    expect(again.summary).toContain('no commit made');
  });

  test('unhealthy: exit 1, one error naming the check and the fact, recorded', async () => {
    let n = 0;
    health = () => ({ status: 200, body: ++n <= 1 ? UP : { ...UP, status: 'DOWN' } });
    const run = await verify({ checks: `http:\n  - url: ${base}/h\n    conditions: ['$.status == "UP"']\n` });
    expect(run.code).toBe(1);
    expect(run.outputs).toMatchObject({ result: 'unhealthy', healthy: 'false' });
    expect(run.outputs.reason).toMatch(
      /^http 127\.0\.0\.1:\d+\/h: 1 of 2 measurements failed \(limit 0\): \$\.status is "DOWN"$/,
    );
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors.map((e) => e.message)).toEqual([`unhealthy: ${run.outputs.reason}`]);
    expect(run.summary).toContain('| ✓ ✗ |');
    expect(message(BRANCH).split('\n')[0]).toBe('verify(blue): 1.6.1 unhealthy in production');
    expect(run.outputs.commit).toBe(tip());
  });

  test('a version that no longer runs is recorded as such, and changes nothing else', async () => {
    health = () => ({ status: 200, body: { ...UP, version: '1.6.0' } });
    const before = tip();
    const run = await verify({
      version: '1.6.0',
      checks: `http:\n  - url: ${base}/h\n    version: $.version\n`,
      record: 'true',
    });
    expect(run.code).toBe(0);
    expect(run.outputs.digest).toBe('');
    const msg = message(BRANCH);
    expect(msg).toContain('verify(blue): 1.6.0 healthy in production');
    expect(msg).toContain('1.6.0 no longer runs in production (now 1.6.1); recorded only.');
    expect(git(origin, 'diff', '--stat', before, tip())).toBe('');
  });

  test('two runs at once reaching the same verdict record it once', async () => {
    health = () => ({ status: 200, body: UP });
    const before = tip();
    const checks = `count: 2\nhttp:\n  - url: ${base}/h\n    version: $.version\n`;
    // Different run URLs make different commits: one must lose the push and find the other's record.
    const runs = await Promise.all([
      verify({ checks }, { GITHUB_RUN_ID: '2001' }),
      verify({ checks }, { GITHUB_RUN_ID: '2002' }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs.map((r) => r.outputs.commit === '').sort()).toEqual([false, true]);
    expect(git(origin, 'rev-list', '--count', `${before}..${BRANCH}`)).toBe('1');
    expect(message(BRANCH).split('\n')[0]).toBe('verify(blue): 1.6.1 healthy in production');
  });

  test.each([
    [
      'a malformed condition in the checks input',
      { checks: `http:\n  - url: ${'http://127.0.0.1:9'}/h\n    conditions: ['$.status = "UP"']\n` },
      /^input "checks": http\.0\.conditions\.0: "\$\.status = \\"UP\\"" has no operator/,
    ],
    [
      'an unknown check key',
      { checks: 'http:\n  - url: http://127.0.0.1:9/h\n    expect: 200\n' },
      /^input "checks": http\.0\.expect: unknown key/,
    ],
    [
      'a URL with an unknown placeholder',
      { checks: 'http:\n  - url: http://127.0.0.1:9/{region}\n' },
      /uses \{region\}; expected only \{service\}, \{environment\}, \{version\}, \{digest\}/,
    ],
    [
      'a negative limit',
      { checks: 'failureLimit: -1\ncommand: "true"\n' },
      /failureLimit: -1 is not a whole number/,
    ],
    ['a bad timeout', { timeout: 'soon' }, /^Input "timeout": "soon" is not a duration/],
    ['a bad version', { version: 'v1..2' }, /version/],
    [
      'an alarm name with an unknown placeholder',
      { checks: "alarms: { critical: ['{service}-{region}-5xx'] }\n" },
      /^input "checks": alarms\.critical\.0: .* uses \{region\}; expected only \{service\}/,
    ],
    [
      'an insufficientData policy that is not one',
      { checks: 'alarms: { critical: [x], insufficientData: pass }\n' },
      /^input "checks": alarms\.insufficientData: "pass" is not a policy; expected fail or ignore/,
    ],
    [
      'an unknown alarms key',
      { checks: 'alarms: { critical: [x], severe: [y] }\n' },
      /^input "checks": alarms\.severe: unknown key; expected one of critical, warning, insufficientData/,
    ],
    [
      'a pipeline name CodePipeline would refuse',
      { checks: "codepipeline: { pipeline: 'blue prod' }\n" },
      /^input "checks": codepipeline\.pipeline: "blue prod" is not a CodePipeline name/,
    ],
    [
      'an unknown codepipeline key',
      { checks: 'codepipeline: { pipeline: blue-prod, action: Deploy }\n' },
      /^input "checks": codepipeline\.action: unknown key; expected one of pipeline, stage/,
    ],
    [
      'a negative consecutiveErrorLimit',
      { checks: 'consecutiveErrorLimit: -2\ncommand: "true"\n' },
      /consecutiveErrorLimit: -2 is not a whole number from 0/,
    ],
    ['a zero count', { checks: 'count: 0\ncommand: "true"\n' }, /count: 0 is not a whole number from 1/],
    [
      'a malformed condition value',
      { checks: `http:\n  - url: http://127.0.0.1:9/h\n    conditions: ['$.latencyMs < fast']\n` },
      /^input "checks": http\.0\.conditions\.0: /,
    ],
    [
      'a pipeline without a region',
      { checks: 'codepipeline: { pipeline: blue-prod }\n' },
      /codepipeline checks need an AWS region/,
    ],
  ])('bad input: %s → a clear error, nothing measured or recorded', async (_name, inputs, error) => {
    const before = tip();
    const seen = requests.length;
    const run = await verify(inputs, { AWS_REGION: '', AWS_DEFAULT_REGION: '' });
    expect(run.code).toBe(1);
    const errors = run.annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(error);
    expect(run.outputs.result).toBeUndefined();
    expect(tip()).toBe(before);
    expect(requests.length).toBe(seen);
  });

  test('a missing header variable is named, before any request', async () => {
    const before = tip();
    const seen = requests.length;
    const run = await verify({}, { HEALTH_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')!.message).toMatch(/HEALTH_TOKEN is not set/);
    expect(tip()).toBe(before);
    expect(requests.length).toBe(seen);
  });
});
