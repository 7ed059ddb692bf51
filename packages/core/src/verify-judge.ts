/**
 * The verification judge (issue 12): measurements → per-check outcome → overall verdict, the
 * one-line reason, the JSON report and the job summary. Pure: the runner measures, this decides.
 *
 * Counter rules (http and alarm checks), after the rollout is seen:
 *  - a measurement is a success, a failure (an answer that does not match) or an error (no
 *    usable answer);
 *  - `count` answered measurements (successes and failures) end the check; errors do not count
 *    toward it, so a flapping endpoint cannot pass on few answers;
 *  - failures > failureLimit → unhealthy at once;
 *  - errors in a row > consecutiveErrorLimit → unhealthy at once; an answer ends the streak;
 *  - a measurement marked decisive `unhealthy` (a critical alarm, an unreadable alarm) ends the
 *    check as unhealthy at once; one marked `inconclusive` (a warning alarm) makes the check at
 *    best inconclusive and is not counted as a failure;
 *  - a window with no success at all is unhealthy (no data is no proof).
 * Overall: every check must be healthy for `healthy`; the worst outcome wins
 * (unhealthy > inconclusive > healthy).
 */

export const VERIFICATION_RESULTS = ['healthy', 'unhealthy', 'inconclusive'] as const;
export type VerificationResult = (typeof VERIFICATION_RESULTS)[number];
export type CheckOutcome = VerificationResult | 'skipped';
export type MeasurementKind = 'success' | 'failure' | 'error';
export type CheckKind = 'http' | 'alarms' | 'codepipeline' | 'command';

export interface Measurement {
  /** ISO time of the measurement. */
  at: string;
  kind: MeasurementKind;
  /** One line: what was found (`status 503`, `$.status is "DOWN"`, `connection refused`). */
  detail: string;
  /** Taken while waiting for the rollout: shown, never counted. */
  phase?: 'rollout';
  /** Ends the check at once (unhealthy) or caps it (inconclusive). */
  decisive?: 'unhealthy' | 'inconclusive';
  /** A response or output excerpt, secrets already masked. */
  excerpt?: string;
  /** Milliseconds the measurement took. */
  durationMs?: number;
}

export interface CounterLimits {
  count: number;
  failureLimit: number;
  consecutiveErrorLimit: number;
}

export interface CounterJudgement {
  /** True when the check needs no more measurements. */
  done: boolean;
  /** The outcome so far (final when done). */
  outcome: VerificationResult;
  /** The fact behind it, one line. */
  fact: string;
}

const RANK: Record<VerificationResult, number> = { healthy: 0, inconclusive: 1, unhealthy: 2 };

/** The worse of two outcomes. */
export function worse(a: VerificationResult, b: VerificationResult): VerificationResult {
  return RANK[b] > RANK[a] ? b : a;
}

/** Judge a counter check from its measurements (rollout-phase ones are ignored). */
export function judgeCounters(all: readonly Measurement[], limits: CounterLimits): CounterJudgement {
  const measurements = all.filter((m) => m.phase !== 'rollout');
  let successes = 0;
  let failures = 0;
  let streak = 0;
  let answered = 0;
  let lastFailure: Measurement | undefined;
  let inconclusive: Measurement | undefined;
  for (const m of measurements) {
    if (m.decisive === 'unhealthy') return { done: true, outcome: 'unhealthy', fact: m.detail };
    if (m.kind === 'error') {
      streak++;
      if (streak > limits.consecutiveErrorLimit)
        return {
          done: true,
          outcome: 'unhealthy',
          fact: `${streak} errors in a row (limit ${limits.consecutiveErrorLimit}): ${m.detail}`,
        };
      continue;
    }
    streak = 0;
    answered++;
    if (m.decisive === 'inconclusive') {
      inconclusive ??= m;
    } else if (m.kind === 'failure') {
      failures++;
      lastFailure = m;
    } else {
      successes++;
    }
    if (failures > limits.failureLimit)
      return {
        done: true,
        outcome: 'unhealthy',
        fact: `${failures} of ${answered} measurements failed (limit ${limits.failureLimit}): ${lastFailure!.detail}`,
      };
  }
  const done = answered >= limits.count;
  if (inconclusive)
    return {
      done,
      outcome: 'inconclusive',
      fact: inconclusive.detail,
    };
  if (done && successes === 0)
    return { done, outcome: 'unhealthy', fact: `no measurement succeeded (${answered} answered)` };
  const failed = failures > 0 ? `, ${failures} failed within the limit of ${limits.failureLimit}` : '';
  return {
    done,
    outcome: 'healthy',
    fact: `${successes} of ${answered} measurements passed${failed}`,
  };
}

/** CodePipeline execution status → outcome; undefined while it is still running. */
export function pipelineOutcome(status: string): VerificationResult | undefined {
  switch (status) {
    case 'Succeeded':
      return 'healthy';
    case 'Failed':
    case 'Stopped':
    case 'Cancelled':
      return 'unhealthy';
    case 'Superseded':
      return 'inconclusive';
    default:
      return undefined;
  }
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export interface AlarmReading {
  name: string;
  /** Undefined when no alarm of that name exists. */
  state?: AlarmState | string;
}

/**
 * One alarm measurement: a critical alarm in ALARM or a missing alarm → decisive unhealthy;
 * a warning alarm in ALARM → decisive inconclusive; INSUFFICIENT_DATA with `fail` → a failure
 * (for a warning alarm: inconclusive, never worse than its ALARM state).
 */
export function alarmMeasurement(
  readings: readonly AlarmReading[],
  spec: { critical: readonly string[]; warning: readonly string[]; insufficientData: 'fail' | 'ignore' },
  at: string,
): Measurement {
  const byName = new Map(readings.map((r) => [r.name, r.state]));
  const facts: { level: number; text: string }[] = [];
  const check = (name: string, critical: boolean) => {
    const state = byName.get(name);
    const label = `${critical ? 'critical' : 'warning'} alarm ${name}`;
    if (state === undefined) facts.push({ level: 3, text: `${label} does not exist` });
    else if (state === 'ALARM') facts.push({ level: critical ? 3 : 1, text: `${label} is in ALARM` });
    else if (state === 'INSUFFICIENT_DATA' && spec.insufficientData === 'fail')
      facts.push({ level: critical ? 2 : 1, text: `${label} has INSUFFICIENT_DATA` });
    else if (state !== 'OK' && state !== 'INSUFFICIENT_DATA')
      facts.push({ level: 3, text: `${label} is in the unknown state ${state}` });
  };
  for (const name of spec.critical) check(name, true);
  for (const name of spec.warning) check(name, false);
  const total = spec.critical.length + spec.warning.length;
  if (facts.length === 0)
    return { at, kind: 'success', detail: `${total} alarm${total === 1 ? '' : 's'} OK` };
  facts.sort((a, b) => b.level - a.level);
  const top = facts[0]!.level;
  const detail = facts.map((f) => f.text).join('; ');
  if (top === 3) return { at, kind: 'failure', detail, decisive: 'unhealthy' };
  if (top === 2) return { at, kind: 'failure', detail };
  return { at, kind: 'failure', detail, decisive: 'inconclusive' };
}

export interface CheckReport {
  kind: CheckKind;
  /** The check's name in reasons: `http blue.production.example.com/health/ready`. */
  name: string;
  /** What is checked (URL, alarm names, pipeline, command). */
  target: string;
  /** The limits, for people: `count 6, failureLimit 0, consecutiveErrorLimit 4`. */
  limits: string;
  measurements: Measurement[];
  outcome: CheckOutcome;
  /** The fact behind the outcome, one line. */
  reason: string;
  /** Rollout: whether the new version was seen, and what the endpoint reported last. */
  rollout?: { seen: boolean; reported?: string };
  /** Last lines of a command's output (masked). */
  output?: string[];
}

export interface VerificationSubject {
  service: string;
  environment: string;
  version: string;
  digest?: string;
}

export interface VerificationReport extends VerificationSubject {
  result: VerificationResult;
  healthy: boolean;
  reason: string;
  startedAt: string;
  finishedAt: string;
  checks: CheckReport[];
}

/** One printable line (no control characters that could start a log command), bounded. */
export function oneLine(text: string, max = 300): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Replace every secret in a text by `***` (longest first, so overlapping secrets stay hidden). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length))
    out = out.split(s).join('***');
  return out;
}

/** The overall verdict and its one-line reason. */
export function judgeVerification(checks: readonly CheckReport[]): {
  result: VerificationResult;
  reason: string;
} {
  const judged = checks.filter(
    (c): c is CheckReport & { outcome: VerificationResult } => c.outcome !== 'skipped',
  );
  if (judged.length === 0) return { result: 'inconclusive', reason: 'no checks ran' };
  let result: VerificationResult = 'healthy';
  for (const c of judged) result = worse(result, c.outcome);
  if (result === 'healthy') {
    const names = judged.map((c) => c.name).join(', ');
    return {
      result,
      reason: oneLine(`${judged.length} check${judged.length === 1 ? '' : 's'} healthy: ${names}`),
    };
  }
  const worst = judged.find((c) => c.outcome === result)!;
  return { result, reason: oneLine(`${worst.name}: ${worst.reason}`) };
}

/** Assemble the report (the `report` output is its JSON). */
export function verificationReport(
  subject: VerificationSubject,
  checks: CheckReport[],
  times: { startedAt: string; finishedAt: string },
): VerificationReport {
  const { result, reason } = judgeVerification(checks);
  return { ...subject, result, healthy: result === 'healthy', reason, ...times, checks };
}

const SYMBOL: Record<MeasurementKind, string> = { success: '✓', failure: '✗', error: '⚠' };
const OUTCOME_MARK: Record<CheckOutcome, string> = {
  healthy: '✓ healthy',
  unhealthy: '✗ unhealthy',
  inconclusive: '? inconclusive',
  skipped: '– skipped',
};

/** The measurements as a strip, e.g. `✓ ✓ ✗ ✓ ✓ ✓` (rollout-phase ones left out). */
export function measurementStrip(measurements: readonly Measurement[]): string {
  return measurements
    .filter((m) => m.phase !== 'rollout')
    .map((m) => (m.decisive === 'inconclusive' ? '?' : SYMBOL[m.kind]))
    .join(' ');
}

function cell(text: string): string {
  return oneLine(text, 200)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '&#124;')
    .replace(/`/g, '&#96;');
}

function pre(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<pre>${escaped}</pre>`;
}

/** The job summary: the verdict and reason on top, a table per check, excerpts for failures. */
export function renderVerificationSummary(report: VerificationReport): string {
  const head = `### ${OUTCOME_MARK[report.result]}: ${cell(report.service)} ${cell(report.version)} in ${cell(report.environment)}`;
  const lines = [head, '', `**Reason:** ${cell(report.reason)}`, ''];
  lines.push('| check | target | measurements | limits | outcome |', '|---|---|---|---|---|');
  for (const c of report.checks) {
    const rollout = c.measurements.filter((m) => m.phase === 'rollout').length;
    const strip = measurementStrip(c.measurements);
    const waited = rollout > 0 ? ` (after ${rollout} rollout probe${rollout === 1 ? '' : 's'})` : '';
    lines.push(
      `| ${c.kind} | ${cell(c.target)} | ${strip || '–'}${waited} | ${cell(c.limits)} | ${OUTCOME_MARK[c.outcome]}: ${cell(c.reason)} |`,
    );
  }
  for (const c of report.checks) {
    const bad = c.measurements.filter((m) => m.kind !== 'success' && m.excerpt);
    const last = bad[bad.length - 1];
    const parts: string[] = [];
    if (c.outcome !== 'healthy' && last?.excerpt)
      parts.push(`Last response (${cell(last.detail)}):`, pre(last.excerpt));
    if (c.output && c.output.length > 0) parts.push('Output (last lines):', pre(c.output.join('\n')));
    if (parts.length > 0)
      lines.push('', `<details><summary>${cell(c.name)}</summary>`, '', ...parts, '', '</details>');
  }
  return `${lines.join('\n')}\n`;
}
