/**
 * The runner against real HTTP servers on loopback whose answers change over time, real bash
 * for commands, and alarm/pipeline readers at the interface (the AWS adapters have their own
 * wire-level tests). Time is virtual: intervals and timeouts never make a test slow or flaky.
 */
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseChecksInput, combineVerify, type VerifyPlan } from '@sd-actions/core';
import { runVerification, virtualClock, type RunVerificationOptions } from '../src/index.js';

type Answer = { status?: number; body?: unknown; hang?: boolean; raw?: string };
interface Scripted {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}

const servers: Server[] = [];
const hanging: ServerResponse[] = [];

/** A server answering request n (1-based) with `script(n)`. */
async function scripted(script: (n: number, req: IncomingMessage) => Answer): Promise<Scripted> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    const a = script(requests.length, req);
    if (a.hang) {
      hanging.push(res);
      return;
    }
    const text = a.raw ?? JSON.stringify(a.body ?? {});
    res.writeHead(a.status ?? 200, { 'content-type': a.raw ? 'text/html' : 'application/json' });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

afterEach(() => {
  for (const res of hanging.splice(0)) res.destroy();
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const UP = (version: string) => ({
  version,
  status: 'UP',
  components: { dynamodb: { status: 'UP' } },
  latencyMs: 12,
});
const SUBJECT = {
  service: 'blue',
  environment: 'production',
  version: '1.6.1',
  digest: `sha256:${'d'.repeat(64)}`,
};

async function plan(yaml: string): Promise<VerifyPlan> {
  return combineVerify(undefined, undefined, await parseChecksInput(yaml));
}

function httpYaml(url: string, extra = ''): string {
  return `interval: 10s
count: 6
rolloutTimeout: 2m
http:
  - url: ${url}/health/ready
    version: $.version
    timeout: 2s
    conditions: ['$.status == "UP"', '$.components.dynamodb.status == "UP"', '$.latencyMs < 500']
${extra}`;
}

function run(p: VerifyPlan, extra: Partial<RunVerificationOptions> = {}) {
  const events: string[] = [];
  return runVerification({
    plan: p,
    subject: SUBJECT,
    timeoutMs: 15 * 60_000,
    clock: virtualClock(),
    onEvent: (e) => events.push(e),
    ...extra,
  }).then((r) => ({ ...r, events }));
}

const kinds = (ms: { kind: string; phase?: string }[]) =>
  ms.map((m) => (m.phase === 'rollout' ? 'R' : m.kind[0]!.toUpperCase())).join('');

describe('http checks', () => {
  test('the version appears after 3 requests: rollout probes do not count, then 6 measurements', async () => {
    const s = await scripted((n) => ({ body: UP(n <= 3 ? '1.6.0' : '1.6.1') }));
    const { report } = await run(await plan(httpYaml(s.url)));
    expect(report.result).toBe('healthy');
    expect(report.healthy).toBe(true);
    const check = report.checks[0]!;
    expect(kinds(check.measurements)).toBe('RRRSSSSSS');
    expect(check.rollout).toEqual({ seen: true, reported: '1.6.1' });
    expect(check.measurements[0]!.detail).toBe('reports 1.6.0');
    expect(s.requests).toHaveLength(9);
    expect(report.reason).toMatch(/^1 check healthy: http 127\.0\.0\.1:\d+\/health\/ready$/);
    // Virtual time: one interval between measurements.
    const times = check.measurements.map((m) => Date.parse(m.at));
    expect(times[8]! - times[0]!).toBe(8 * 10_000);
  });

  test('the digest counts as the promoted version too', async () => {
    const s = await scripted(() => ({ body: UP(SUBJECT.digest) }));
    const { report } = await run(await plan(httpYaml(s.url)));
    expect(report.result).toBe('healthy');
  });

  test('a body that turns DOWN fails at once with failureLimit 0', async () => {
    const s = await scripted((n) => ({ body: n < 4 ? UP('1.6.1') : { ...UP('1.6.1'), status: 'DOWN' } }));
    const { report } = await run(await plan(httpYaml(s.url)));
    expect(report.result).toBe('unhealthy');
    expect(report.reason).toMatch(
      /^http 127\.0\.0\.1:\d+\/health\/ready: 1 of 4 measurements failed \(limit 0\): \$\.status is "DOWN"$/,
    );
    expect(kinds(report.checks[0]!.measurements)).toBe('SSSF');
    expect(report.checks[0]!.measurements[3]!.excerpt).toContain('"DOWN"');
    expect(s.requests).toHaveLength(4);
  });

  test.each([
    ['a burst of 2 within failureLimit 2', 2, 'healthy', 'SFFSSS'],
    ['a burst of 3 past failureLimit 2', 3, 'unhealthy', 'SFFF'],
  ])('503 bursts: %s', async (_name, burst, result, strip) => {
    const s = await scripted((n) =>
      n >= 2 && n < 2 + burst ? { status: 503, body: { status: 'DOWN' } } : { body: UP('1.6.1') },
    );
    const { report } = await run(
      await plan(httpYaml(s.url).replace('count: 6', 'count: 6\nfailureLimit: 2')),
    );
    expect(report.result).toBe(result);
    expect(kinds(report.checks[0]!.measurements)).toBe(strip);
    if (result === 'unhealthy')
      expect(report.reason).toContain('3 of 4 measurements failed (limit 2): status 503 (expected 200)');
  });

  test('connection refused: errors past consecutiveErrorLimit', async () => {
    const s = await scripted(() => ({ body: UP('1.6.1') }));
    await s.close();
    const { report } = await run(await plan(httpYaml(s.url).replace('    version: $.version\n', '')));
    expect(report.result).toBe('unhealthy');
    expect(kinds(report.checks[0]!.measurements)).toBe('EEEEE');
    expect(report.reason).toMatch(/5 errors in a row \(limit 4\): connection refused$/);
  });

  test('slow answers past the request timeout are errors; the streak ends with an answer', async () => {
    const s = await scripted((n) => (n === 2 || n === 3 ? { hang: true } : { body: UP('1.6.1') }));
    const { report } = await run(await plan(httpYaml(s.url).replace('timeout: 2s', 'timeout: 300ms')));
    expect(report.result).toBe('healthy');
    expect(kinds(report.checks[0]!.measurements)).toBe('SEESSSSS');
    expect(report.checks[0]!.measurements[1]!.detail).toBe('no answer within 300ms');
  });

  test('a body that is not JSON is an error when conditions need JSON', async () => {
    const s = await scripted((n) => (n === 1 ? { body: UP('1.6.1') } : { raw: '<html>oops</html>' }));
    const { report } = await run(await plan(httpYaml(s.url)));
    expect(report.result).toBe('unhealthy');
    expect(kinds(report.checks[0]!.measurements)).toBe('SEEEEE');
    expect(report.reason).toContain('5 errors in a row (limit 4): status 200 but the body is not JSON');
  });

  test('a version that never shows up: unhealthy with what still runs; the rest is skipped', async () => {
    const s = await scripted(() => ({ body: UP('1.6.0') }));
    const p = await plan(`${httpYaml(s.url)}command: 'echo never'\n`);
    const { report } = await run(p);
    expect(report.result).toBe('unhealthy');
    expect(report.reason).toMatch(
      /never reported 1\.6\.1 within the rolloutTimeout of 2m; still reports 1\.6\.0$/,
    );
    expect(report.checks[0]!.rollout).toEqual({ seen: false, reported: '1.6.0' });
    expect(kinds(report.checks[0]!.measurements)).toBe('RRRRRRRRRRRRR');
    expect(report.checks[1]).toMatchObject({
      kind: 'command',
      outcome: 'skipped',
      reason: 'the rollout was not seen',
    });
  });

  test('the overall timeout ends what still runs as unhealthy', async () => {
    const s = await scripted(() => ({ body: UP('1.6.1') }));
    const p = await plan(httpYaml(s.url).replace('count: 6', 'count: 1000'));
    const { report } = await run(p, { timeoutMs: 60_000 });
    expect(report.result).toBe('unhealthy');
    expect(report.reason).toMatch(/ended by the overall timeout of 1m: 6 of 6 measurements passed$/);
  });

  test('headers with ${VAR}: sent, and masked in excerpts and reasons', async () => {
    const s = await scripted((_n, req) =>
      req.headers.authorization === 'Bearer t0ps3cret'
        ? { status: 500, body: { status: 'DOWN', echo: req.headers.authorization } }
        : { status: 401 },
    );
    const p = await plan(
      `http:\n  - url: ${s.url}/h\n    headers: { Authorization: 'Bearer \${HEALTH_TOKEN}' }\n`,
    );
    const { report, secrets } = await run(p, { env: { HEALTH_TOKEN: 't0ps3cret' } });
    expect(secrets).toEqual(['t0ps3cret']);
    expect(report.result).toBe('unhealthy');
    expect(report.checks[0]!.measurements[0]!.detail).toBe('status 500 (expected 200)');
    expect(JSON.stringify(report)).not.toContain('t0ps3cret');
    expect(report.checks[0]!.measurements[0]!.excerpt).toContain('Bearer ***');
  });

  test('a missing ${VAR} fails before any request', async () => {
    const s = await scripted(() => ({ body: {} }));
    const p = await plan(`http:\n  - url: ${s.url}/h\n    headers: { X-Token: '\${NOPE}' }\n`);
    await expect(run(p, { env: {} })).rejects.toThrow(/NOPE is not set/);
    expect(s.requests).toHaveLength(0);
  });
});

describe('alarms and pipelines through their interfaces', () => {
  const states = (script: (n: number) => Record<string, string>) => {
    let n = 0;
    return {
      calls: () => n,
      readAlarms: async (names: readonly string[]) => {
        const s = script(++n);
        return names.filter((name) => s[name] !== undefined).map((name) => ({ name, state: s[name] }));
      },
    };
  };
  const alarmsYaml = 'count: 4\nalarms: { critical: ["{service}-5xx"], warning: [cpu] }\n';

  test.each([
    [
      'all OK',
      () => ({ 'blue-5xx': 'OK', cpu: 'OK' }),
      'healthy',
      'SSSS',
      /^1 check healthy: alarms blue-5xx, cpu$/,
    ],
    [
      'a critical alarm fires at the 3rd measurement',
      (n: number) => ({ 'blue-5xx': n === 3 ? 'ALARM' : 'OK', cpu: 'OK' }),
      'unhealthy',
      'SSF',
      /^alarms blue-5xx, cpu: critical alarm blue-5xx is in ALARM$/,
    ],
    [
      'a warning alarm is inconclusive',
      (n: number) => ({ 'blue-5xx': 'OK', cpu: n === 2 ? 'ALARM' : 'OK' }),
      'inconclusive',
      'SFSS',
      /warning alarm cpu is in ALARM$/,
    ],
    [
      'a missing alarm fails closed',
      () => ({ cpu: 'OK' }),
      'unhealthy',
      'F',
      /critical alarm blue-5xx does not exist$/,
    ],
  ])('%s', async (_name, script, result, strip, reason) => {
    const reader = states(script);
    const { report } = await run(await plan(alarmsYaml), { alarms: reader });
    expect(report.result).toBe(result);
    expect(kinds(report.checks[0]!.measurements)).toBe(strip);
    expect(report.reason).toMatch(reason);
  });

  test('an alarm API that fails is unhealthy (fail closed)', async () => {
    const { report } = await run(await plan(alarmsYaml), {
      alarms: { readAlarms: () => Promise.reject(new Error('Throttling: Rate exceeded')) },
    });
    expect(report.result).toBe('unhealthy');
    expect(report.reason).toBe('alarms blue-5xx, cpu: could not read the alarms: Throttling: Rate exceeded');
  });

  const pipelineYaml = 'interval: 10s\nrolloutTimeout: 1m\ncodepipeline: { pipeline: "{service}-prod" }\n';
  test.each([
    [
      'found, in progress, then Succeeded',
      [undefined, 'InProgress', 'Succeeded'],
      'healthy',
      /execution e-1 for abc123 Succeeded$/,
    ],
    ['Failed', ['Failed'], 'unhealthy', /Failed$/],
    ['Stopped', ['InProgress', 'Stopped'], 'unhealthy', /Stopped$/],
    ['Cancelled', ['Cancelled'], 'unhealthy', /Cancelled$/],
    ['Superseded', ['Superseded'], 'inconclusive', /Superseded$/],
    [
      'none found within the rolloutTimeout',
      [],
      'unhealthy',
      /no execution of blue-prod for abc123 within 1m$/,
    ],
  ])('pipeline: %s', async (_name, statuses, result, reason) => {
    const queries: unknown[] = [];
    let n = 0;
    const pipelines = {
      findExecution: async (q: unknown) => {
        queries.push(q);
        const status = (statuses as (string | undefined)[])[Math.min(n++, statuses.length - 1)];
        return status ? { id: 'e-1', status } : undefined;
      },
    };
    const { report } = await run(await plan(pipelineYaml), { pipelines, environmentCommit: 'abc123' });
    expect(report.result).toBe(result);
    expect(report.checks[0]!.reason).toMatch(reason);
    expect(queries[0]).toEqual({ pipeline: 'blue-prod', sourceRevision: 'abc123' });
  });
});

describe('command', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sd-verify-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('bash in the workspace, values only as SD_* variables, retried until it passes', async () => {
    writeFileSync(
      join(dir, 'smoke.sh'),
      `n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count
echo "smoke $SD_SERVICE $SD_ENVIRONMENT $SD_VERSION $SD_DIGEST attempt $n"
echo "::error::not a workflow command"
[ "$n" -ge 2 ]
`,
    );
    const { report } = await run(await plan('attempts: 3\ncommand: bash ./smoke.sh\n'), { workspace: dir });
    expect(report.result).toBe('healthy');
    const check = report.checks[0]!;
    expect(kinds(check.measurements)).toBe('FS');
    expect(check.reason).toBe('exit 0 on attempt 2 of 3');
    expect(check.output).toEqual([
      `smoke blue production 1.6.1 ${SUBJECT.digest} attempt 2`,
      '::error::not a workflow command',
    ]);
  });

  test('a command that keeps failing: unhealthy with its last line', async () => {
    const { report } = await run(await plan('attempts: 2\ncommand: echo "checking $SD_VERSION"; exit 3\n'), {
      workspace: dir,
    });
    expect(report.result).toBe('unhealthy');
    expect(report.reason).toBe(
      'command echo "checking $SD_VERSION"; exit 3: failed 2 of 2 attempts; last: exit 3: checking 1.6.1',
    );
  });
});

describe('everything together', () => {
  test('worst outcome wins across http, alarms, pipeline and command', async () => {
    const s = await scripted((n) => ({ body: UP(n <= 1 ? '1.6.0' : '1.6.1') }));
    const p = await plan(
      `${httpYaml(s.url)}alarms: { critical: [c], warning: [w] }\ncodepipeline: { pipeline: p }\ncommand: 'true'\n`,
    );
    const { report } = await run(p, {
      alarms: {
        readAlarms: async () => [
          { name: 'c', state: 'OK' },
          { name: 'w', state: 'ALARM' },
        ],
      },
      pipelines: { findExecution: async () => ({ id: 'x', status: 'Succeeded' }) },
      environmentCommit: 'f00',
    });
    expect(report.checks.map((c) => [c.kind, c.outcome])).toEqual([
      ['http', 'healthy'],
      ['alarms', 'inconclusive'],
      ['codepipeline', 'healthy'],
      ['command', 'healthy'],
    ]);
    expect(report.result).toBe('inconclusive');
    expect(report.reason).toBe('alarms c, w: warning alarm w is in ALARM');
  });
});
