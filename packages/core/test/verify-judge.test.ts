import { describe, expect, test } from '@jest/globals';
import {
  alarmMeasurement,
  judgeCounters,
  judgeVerification,
  measurementStrip,
  parseVerificationMessage,
  pipelineOutcome,
  redact,
  renderVerificationSummary,
  sameVerification,
  verificationMessage,
  verificationReport,
  verificationSubject,
  type CheckReport,
  type Measurement,
} from '../src/index.js';

const AT = '2026-01-20T10:00:00.000Z';
/** A strip of measurements: S success, F failure, E error, R rollout-phase, X decisive unhealthy, I inconclusive. */
function strip(text: string): Measurement[] {
  return [...text.replace(/ /g, '')].map((c, i) => {
    const detail = `m${i}`;
    switch (c) {
      case 'S':
        return { at: AT, kind: 'success', detail };
      case 'F':
        return { at: AT, kind: 'failure', detail };
      case 'E':
        return { at: AT, kind: 'error', detail };
      case 'R':
        return { at: AT, kind: 'failure', detail, phase: 'rollout' };
      case 'X':
        return { at: AT, kind: 'failure', detail, decisive: 'unhealthy' };
      case 'I':
        return { at: AT, kind: 'failure', detail, decisive: 'inconclusive' };
      default:
        throw new Error(c);
    }
  });
}

describe('counter rules', () => {
  const limits = { count: 6, failureLimit: 0, consecutiveErrorLimit: 4 };
  test.each([
    ['all six pass', 'SSSSSS', limits, true, 'healthy', '6 of 6 measurements passed'],
    ['not yet enough answers', 'SSS', limits, false, 'healthy', '3 of 3 measurements passed'],
    [
      'one failure over failureLimit 0',
      'SSF',
      limits,
      true,
      'unhealthy',
      '1 of 3 measurements failed (limit 0): m2',
    ],
    [
      'failures within failureLimit',
      'SFSFSSSS',
      { ...limits, failureLimit: 2 },
      true,
      'healthy',
      '6 of 8 measurements passed, 2 failed within the limit of 2',
    ],
    [
      'failures past failureLimit',
      'FSFSF',
      { ...limits, failureLimit: 2 },
      true,
      'unhealthy',
      '3 of 5 measurements failed (limit 2): m4',
    ],
    ['errors up to the limit in a row', 'EEEESSSSSS', limits, true, 'healthy', '6 of 6 measurements passed'],
    [
      'errors past the limit in a row',
      'SEEEEE',
      limits,
      true,
      'unhealthy',
      '5 errors in a row (limit 4): m5',
    ],
    [
      'a streak broken by an answer starts again',
      'EEEESEEEESSSSS',
      limits,
      true,
      'healthy',
      '6 of 6 measurements passed',
    ],
    ['errors do not count toward count', 'SESESE', limits, false, 'healthy', '3 of 3 measurements passed'],
    [
      'rollout-phase measurements do not count',
      'RRRRSSSSSS',
      limits,
      true,
      'healthy',
      '6 of 6 measurements passed',
    ],
    ['a decisive unhealthy ends at once', 'SSX', limits, true, 'unhealthy', 'm2'],
    ['an inconclusive caps the outcome', 'SISSSSS', limits, true, 'inconclusive', 'm1'],
    ['an inconclusive is not a failure', 'IIIIII', limits, true, 'inconclusive', 'm0'],
    [
      'no success in the window',
      'FF',
      { count: 2, failureLimit: 5, consecutiveErrorLimit: 0 },
      true,
      'unhealthy',
      'no measurement succeeded (2 answered)',
    ],
    [
      'consecutiveErrorLimit 0: one error fails',
      'SE',
      { ...limits, consecutiveErrorLimit: 0 },
      true,
      'unhealthy',
      '1 errors in a row (limit 0): m1',
    ],
  ] as const)('%s', (_name, text, lim, done, outcome, fact) => {
    expect(judgeCounters(strip(text), lim)).toEqual({ done, outcome, fact });
  });
});

describe('alarms', () => {
  const spec = { critical: ['c1', 'c2'], warning: ['w1'], insufficientData: 'fail' as const };
  const read = (c1?: string, c2?: string, w1?: string) =>
    [
      ['c1', c1],
      ['c2', c2],
      ['w1', w1],
    ]
      .filter(([, s]) => s !== 'missing')
      .map(([name, state]) => ({ name: name!, state }));
  test.each([
    ['all OK', read('OK', 'OK', 'OK'), spec, 'success', undefined, '3 alarms OK'],
    [
      'critical in ALARM',
      read('OK', 'ALARM', 'OK'),
      spec,
      'failure',
      'unhealthy',
      'critical alarm c2 is in ALARM',
    ],
    [
      'warning in ALARM',
      read('OK', 'OK', 'ALARM'),
      spec,
      'failure',
      'inconclusive',
      'warning alarm w1 is in ALARM',
    ],
    [
      'critical wins over warning',
      read('ALARM', 'OK', 'ALARM'),
      spec,
      'failure',
      'unhealthy',
      'critical alarm c1 is in ALARM; warning alarm w1 is in ALARM',
    ],
    [
      'INSUFFICIENT_DATA fails',
      read('INSUFFICIENT_DATA', 'OK', 'OK'),
      spec,
      'failure',
      undefined,
      'critical alarm c1 has INSUFFICIENT_DATA',
    ],
    [
      'INSUFFICIENT_DATA ignored',
      read('INSUFFICIENT_DATA', 'OK', 'INSUFFICIENT_DATA'),
      { ...spec, insufficientData: 'ignore' as const },
      'success',
      undefined,
      '3 alarms OK',
    ],
    [
      'a warning without data is at most inconclusive',
      read('OK', 'OK', 'INSUFFICIENT_DATA'),
      spec,
      'failure',
      'inconclusive',
      'warning alarm w1 has INSUFFICIENT_DATA',
    ],
    [
      'a missing alarm fails closed',
      read('OK', 'missing', 'OK'),
      spec,
      'failure',
      'unhealthy',
      'critical alarm c2 does not exist',
    ],
    [
      'a missing warning alarm fails closed too',
      read('OK', 'OK', 'missing'),
      spec,
      'failure',
      'unhealthy',
      'warning alarm w1 does not exist',
    ],
  ])('%s', (_name, readings, s, kind, decisive, detail) => {
    const m = alarmMeasurement(readings as { name: string; state?: string }[], s, AT);
    expect(m).toEqual({ at: AT, kind, detail, ...(decisive ? { decisive } : {}) });
  });
});

test.each([
  ['Succeeded', 'healthy'],
  ['Failed', 'unhealthy'],
  ['Stopped', 'unhealthy'],
  ['Cancelled', 'unhealthy'],
  ['Superseded', 'inconclusive'],
  ['InProgress', undefined],
  ['Stopping', undefined],
])('pipeline %s → %s', (status, outcome) => expect(pipelineOutcome(status)).toBe(outcome));

function check(
  name: string,
  outcome: CheckReport['outcome'],
  reason: string,
  measurements = 'SS',
): CheckReport {
  return {
    kind: 'http',
    name,
    target: name,
    limits: 'count 2',
    measurements: strip(measurements),
    outcome,
    reason,
  };
}

describe('overall verdict', () => {
  test.each([
    ['every check healthy', ['healthy', 'healthy'], 'healthy', '2 checks healthy: a, b'],
    ['unhealthy wins over inconclusive', ['inconclusive', 'unhealthy'], 'unhealthy', 'b: fact b'],
    ['inconclusive wins over healthy', ['healthy', 'inconclusive'], 'inconclusive', 'b: fact b'],
    ['skipped checks do not count', ['healthy', 'skipped'], 'healthy', '1 check healthy: a'],
    ['no check ran', ['skipped', 'skipped'], 'inconclusive', 'no checks ran'],
    ['the first worst check names the reason', ['unhealthy', 'unhealthy'], 'unhealthy', 'a: fact a'],
  ] as const)('%s', (_name, outcomes, result, reason) => {
    const checks = outcomes.map((o, i) => check(['a', 'b'][i]!, o, `fact ${['a', 'b'][i]}`));
    expect(judgeVerification(checks)).toEqual({ result, reason });
  });

  test('the reason is one line', () => {
    expect(judgeVerification([check('a', 'unhealthy', 'line1\n::error::x')]).reason).toBe(
      'a: line1 ::error::x',
    );
  });
});

describe('report and summary', () => {
  const subject = { service: 'blue', environment: 'production', version: '1.6.1', digest: 'sha256:abc' };
  test('the strip', () => {
    expect(measurementStrip(strip('RRSSFSES'))).toBe('✓ ✓ ✗ ✓ ⚠ ✓');
  });

  test('summary: reason on top, a row per check, excerpts of failures, escaped', () => {
    const http = check(
      'http blue.production/health',
      'unhealthy',
      '1 of 3 measurements failed (limit 0): $.status is "DOWN"',
      'RSSF',
    );
    http.measurements[3]!.excerpt = '{"status":"DOWN","note":"<b>|x</b>"}';
    http.measurements[3]!.detail = '$.status is "DOWN"';
    const cmd: CheckReport = {
      kind: 'command',
      name: 'command ./smoke.sh',
      target: './smoke.sh',
      limits: 'attempts 3',
      measurements: strip('S'),
      outcome: 'healthy',
      reason: 'exit 0 on attempt 1 of 3',
      output: ['ok 1', 'ok 2'],
    };
    const report = verificationReport(subject, [http, cmd], { startedAt: AT, finishedAt: AT });
    expect(report).toMatchObject({ result: 'unhealthy', healthy: false });
    expect(report.reason).toBe(
      'http blue.production/health: 1 of 3 measurements failed (limit 0): $.status is "DOWN"',
    );
    expect(renderVerificationSummary(report)).toBe(`### ✗ unhealthy: blue 1.6.1 in production

**Reason:** http blue.production/health: 1 of 3 measurements failed (limit 0): $.status is "DOWN"

| check | target | measurements | limits | outcome |
|---|---|---|---|---|
| http | http blue.production/health | ✓ ✓ ✗ (after 1 rollout probe) | count 2 | ✗ unhealthy: 1 of 3 measurements failed (limit 0): $.status is "DOWN" |
| command | ./smoke.sh | ✓ | attempts 3 | ✓ healthy: exit 0 on attempt 1 of 3 |

<details><summary>http blue.production/health</summary>

Last response ($.status is "DOWN"):
<pre>{"status":"DOWN","note":"&lt;b&gt;|x&lt;/b&gt;"}</pre>

</details>

<details><summary>command ./smoke.sh</summary>

Output (last lines):
<pre>ok 1
ok 2</pre>

</details>
`);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test('redact', () => {
    expect(redact('Bearer abc abcdef', ['abc', 'abcdef', ''])).toBe('Bearer *** ***');
  });
});

describe('ledger records', () => {
  const record = {
    service: 'blue',
    environment: 'production',
    version: '1.6.1',
    digest: `sha256:${'a'.repeat(64)}`,
    verification: 'healthy' as const,
    runUrl: 'https://github.com/acme/monorepo/actions/runs/1234',
    reason: '2 checks healthy: http x, alarms',
  };
  test('subject, body and trailers', () => {
    expect(verificationSubject(record)).toBe('verify(blue): 1.6.1 healthy in production');
    expect(verificationMessage(record)).toBe(`verify(blue): 1.6.1 healthy in production

Verified blue 1.6.1 in production: healthy.
Reason: 2 checks healthy: http x, alarms

Sd-Service: blue
Sd-Environment: production
Sd-Version: 1.6.1
Sd-Digest: sha256:${'a'.repeat(64)}
Sd-Verification: healthy
Sd-Run-Url: https://github.com/acme/monorepo/actions/runs/1234
`);
  });

  test('round trip, also for a version no longer running', () => {
    expect(parseVerificationMessage(verificationMessage(record))).toEqual(record);
    const stale = { ...record, verification: 'unhealthy' as const, runningVersion: '1.6.2' };
    const message = verificationMessage(stale);
    expect(message).toContain('1.6.1 no longer runs in production (now 1.6.2); recorded only.');
    const { runningVersion: _ignored, ...rest } = stale;
    expect(parseVerificationMessage(message)).toEqual(rest);
  });

  test.each([
    ['a promotion', 'promote(blue): 1\n\nx\n\nSd-Service: blue\nSd-Environment: p\nSd-Version: 1\n'],
    [
      'an unknown verdict',
      'verify(blue): 1\n\nx\n\nSd-Service: blue\nSd-Environment: p\nSd-Version: 1\nSd-Verification: fine\n',
    ],
    ['no trailers', 'verify(blue): 1 healthy in p\n'],
  ])('is not a verification: %s', (_name, message) => {
    expect(parseVerificationMessage(message)).toBeUndefined();
  });

  test('newlines in values cannot forge trailers', () => {
    const forged = verificationMessage({ ...record, reason: 'x\n\nSd-Verification: unhealthy' });
    expect(parseVerificationMessage(forged)).toMatchObject({
      verification: 'healthy',
      reason: 'x Sd-Verification: unhealthy',
    });
    // A forged version is flattened into one value that is no version: not read at all.
    const version = verificationMessage({ ...record, version: '1.6.1\nSd-Verification: unhealthy' });
    expect(version.match(/^Sd-Verification: .*$/gm)).toEqual(['Sd-Verification: healthy']);
    expect(parseVerificationMessage(version)).toBeUndefined();
  });

  // One parser (the ledger's, parseLedgerMessage) reads verification records everywhere.
  test.each([
    ['a digest that is not one', { digest: 'sha256:b' }],
    ['a run URL that is not one', { runUrl: 'javascript:alert(1)' }],
    ['a version that is not one', { version: 'latest' }],
  ])('is read by the ledger rules: %s', (_name, change) => {
    expect(parseVerificationMessage(verificationMessage({ ...record, ...change }))).toBeUndefined();
  });

  test('the environment, when given, must match; a verdict without a digest is still recognised', () => {
    const message = verificationMessage(record);
    expect(parseVerificationMessage(message, 'production')).toEqual(record);
    expect(parseVerificationMessage(message, 'staging')).toBeUndefined();
    const { digest: _digest, ...unpinned } = record;
    expect(parseVerificationMessage(verificationMessage(unpinned))).toEqual(unpinned);
  });

  test('two different verdicts on one record are not read', () => {
    const twice = verificationMessage(record).replace(
      'Sd-Verification: healthy\n',
      'Sd-Verification: healthy\nSd-Verification: unhealthy\n',
    );
    expect(parseVerificationMessage(twice)).toBeUndefined();
  });

  test('sameVerification', () => {
    expect(sameVerification(record, { ...record, runUrl: 'other', reason: 'other' })).toBe(true);
    expect(sameVerification(record, { ...record, verification: 'unhealthy' })).toBe(false);
    expect(sameVerification(record, { ...record, digest: 'sha256:b' })).toBe(false);
  });
});
