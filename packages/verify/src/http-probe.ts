/**
 * One HTTP measurement: a GET with a per-request timeout, judged against the check's expected
 * status, version and conditions. The answer is turned into a Measurement (success, failure or
 * error) with a one-line detail and a masked excerpt; nothing is logged here.
 */
import {
  evaluateCondition,
  oneLine,
  redact,
  valueAt,
  type HttpCheck,
  type Measurement,
} from '@sd-actions/core';

const MAX_BODY = 256 * 1024;
const EXCERPT = 600;

export interface HttpAnswer {
  status?: number;
  body?: string;
  /** Why there is no usable answer. */
  error?: string;
  durationMs: number;
}

function describeError(err: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `no answer within ${timeoutMs}ms`;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS)';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `no answer within ${timeoutMs}ms`;
    default:
      return oneLine(
        `request failed: ${code ?? ''} ${cause?.message ?? (err as Error)?.message ?? String(err)}`,
      );
  }
}

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_BODY) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
}

/** GET the check's URL; never throws. `signal` ends it early (the overall deadline). */
export async function httpGet(check: HttpCheck, signal: AbortSignal): Promise<HttpAnswer> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(check.timeoutMs);
  try {
    const res = await fetch(check.url, {
      method: 'GET',
      headers: { accept: 'application/json, */*;q=0.5', ...check.headers },
      redirect: 'manual',
      signal: AbortSignal.any([signal, timeout]),
    });
    const body = await readCapped(res);
    return { status: res.status, body, durationMs: performance.now() - started };
  } catch (err) {
    const timedOut = timeout.aborted && !signal.aborted;
    const error = signal.aborted
      ? 'ended by the overall timeout'
      : describeError(err, check.timeoutMs, timedOut);
    return { error, durationMs: performance.now() - started };
  }
}

/** The version the endpoint reports, when the check names where to read it. */
export function reportedVersion(check: HttpCheck, body: unknown): string | undefined {
  if (!check.version) return undefined;
  const found = valueAt(body, check.version.path);
  if ('missing' in found) return undefined;
  const v = found.value;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** True when `reported` names the promoted version or digest. */
export function isExpectedVersion(reported: string | undefined, version: string, digest?: string): boolean {
  if (reported === undefined) return false;
  if (reported === version) return true;
  return digest !== undefined && digest !== '' && (reported === digest || reported.endsWith(`@${digest}`));
}

export interface JudgedAnswer {
  measurement: Omit<Measurement, 'at'>;
  /** The version the endpoint reported (when the check reads one and the body is JSON). */
  reported?: string;
}

/** Judge one answer: success, failure (an answer that does not match) or error (no usable answer). */
export function judgeAnswer(
  check: HttpCheck,
  answer: HttpAnswer,
  expected: { version: string; digest?: string },
  secrets: readonly string[],
): JudgedAnswer {
  const durationMs = Math.round(answer.durationMs);
  if (answer.error !== undefined) return { measurement: { kind: 'error', detail: answer.error, durationMs } };
  const body = answer.body ?? '';
  const excerpt = redact(body.length > EXCERPT ? `${body.slice(0, EXCERPT)}…` : body, secrets);
  const status = answer.status ?? 0;
  const needsJson = check.conditions.length > 0 || check.version !== undefined;
  let json: unknown;
  if (needsJson) {
    try {
      json = JSON.parse(body);
    } catch {
      if (!check.status.includes(status))
        return {
          measurement: {
            kind: 'failure',
            detail: `status ${status} (expected ${check.status.join(' or ')})`,
            excerpt,
            durationMs,
          },
        };
      return {
        measurement: {
          kind: 'error',
          detail: `status ${status} but the body is not JSON`,
          excerpt,
          durationMs,
        },
      };
    }
  }
  const reported = reportedVersion(check, json);
  if (!check.status.includes(status))
    return {
      measurement: {
        kind: 'failure',
        detail: `status ${status} (expected ${check.status.join(' or ')})`,
        excerpt,
        durationMs,
      },
      reported,
    };
  const facts: string[] = [];
  if (check.version && !isExpectedVersion(reported, expected.version, expected.digest))
    facts.push(
      `${check.version.text} is ${reported === undefined ? 'missing' : JSON.stringify(reported)}, expected ${expected.version}`,
    );
  for (const condition of check.conditions) {
    const result = evaluateCondition(condition, json);
    if (!result.ok) facts.push(result.fact);
  }
  if (facts.length > 0)
    return {
      measurement: {
        kind: 'failure',
        detail: redact(oneLine(facts.join('; ')), secrets),
        excerpt,
        durationMs,
      },
      reported,
    };
  const passed = check.conditions.length > 0 ? `, ${check.conditions.length} conditions hold` : '';
  return { measurement: { kind: 'success', detail: `status ${status}${passed}`, durationMs }, reported };
}
