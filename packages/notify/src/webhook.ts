/**
 * One JSON POST to a webhook (Slack incoming webhook, Teams workflow webhook), best effort:
 * a per-request timeout, bounded retries on 429 (honouring Retry-After) and 5xx, a total time
 * budget, all on an injectable clock. It never throws: the outcome says what happened, in words
 * that never contain the URL (the caller masks its own secrets as well).
 */
import { backoffDelay } from '@sd-actions/core';

export interface NotifyClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A signal that aborts after `ms`; dispose it when the request is over. */
  timeout(ms: number): { signal: AbortSignal; dispose(): void };
}

export const realNotifyClock: NotifyClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
  timeout(ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), Math.max(0, ms));
    return { signal: controller.signal, dispose: () => clearTimeout(timer) };
  },
};

export interface DeliveryPolicy {
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** Per request: no answer (status and body) within this is a failure, not retried (default 10 s). */
  timeoutMs?: number;
  /** All attempts and waits of one delivery end within this (default 60 s). */
  totalMs?: number;
  /** A Retry-After longer than this is not waited for (default 30 s). */
  maxRetryAfterMs?: number;
  /** Backoff without Retry-After: the first ceiling (default 1 s), doubled up to 8 s. */
  baseMs?: number;
  clock?: NotifyClock;
  random?: () => number;
  fetch?: typeof fetch;
}

export const DELIVERY_DEFAULTS = {
  attempts: 3,
  timeoutMs: 10_000,
  totalMs: 60_000,
  maxRetryAfterMs: 30_000,
  baseMs: 1_000,
  maxMs: 8_000,
};

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: string;
}

export type PostOutcome =
  | { ok: true; attempts: number; status: number }
  | { ok: false; attempts: number; status?: number; problem: string };

/** A Retry-After header (seconds or an HTTP date) in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A short, one-line, printable excerpt of a response body. */
function excerpt(body: string): string {
  const line = body
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** The first `max` bytes of a body (a receiver's error text); the rest is not read. */
async function readSome(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < max) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= max) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

function describeError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } } | undefined;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return excerpt(`${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** POST `body` as JSON to `url`. Never throws. */
export async function postJson(
  url: string,
  body: unknown,
  policy: DeliveryPolicy = {},
  onRetry?: (info: RetryInfo) => void,
): Promise<PostOutcome> {
  const clock = policy.clock ?? realNotifyClock;
  const attempts = Math.max(1, policy.attempts ?? DELIVERY_DEFAULTS.attempts);
  const timeoutMs = policy.timeoutMs ?? DELIVERY_DEFAULTS.timeoutMs;
  const maxRetryAfterMs = policy.maxRetryAfterMs ?? DELIVERY_DEFAULTS.maxRetryAfterMs;
  const schedule = { baseMs: policy.baseMs ?? DELIVERY_DEFAULTS.baseMs, maxMs: DELIVERY_DEFAULTS.maxMs };
  const doFetch = policy.fetch ?? fetch;
  const deadline = clock.now() + (policy.totalMs ?? DELIVERY_DEFAULTS.totalMs);
  const payload = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    const limitMs = Math.max(0, Math.min(timeoutMs, deadline - clock.now()));
    const timer = clock.timeout(limitMs);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: payload,
        signal: timer.signal,
        // A webhook that redirects is not followed: the message goes to the URL given or nowhere.
        redirect: 'manual',
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await readSome(res, 4096);
    } catch (err) {
      const problem = timer.signal.aborted
        ? `did not answer within ${seconds(limitMs)} (not retried: the message may have arrived)`
        : `could not be reached: ${describeError(err)}`;
      return { ok: false, attempts: attempt, problem };
    } finally {
      timer.dispose();
    }
    if (status >= 200 && status < 300) return { ok: true, attempts: attempt, status };
    const answered = `answered HTTP ${status}${text.trim() ? ` (${excerpt(text)})` : ''}`;
    if (status !== 429 && status < 500)
      return { ok: false, attempts: attempt, status, problem: `${answered}; not retried` };
    if (attempt >= attempts)
      return {
        ok: false,
        attempts: attempt,
        status,
        problem: `${answered} ${attempt === 1 ? 'once' : `${attempt} times`}; gave up`,
      };
    const asked = retryAfterMs(retryAfter, clock.now());
    if (asked !== undefined && asked > maxRetryAfterMs)
      return {
        ok: false,
        attempts: attempt,
        status,
        problem: `${answered} and asked to retry after ${seconds(asked)}, longer than the ${seconds(maxRetryAfterMs)} a notification waits; gave up`,
      };
    const delayMs = asked ?? backoffDelay(attempt, schedule, policy.random);
    if (clock.now() + delayMs >= deadline)
      return {
        ok: false,
        attempts: attempt,
        status,
        problem: `${answered}; no time left to retry; gave up`,
      };
    onRetry?.({ attempt, delayMs, reason: answered });
    await clock.sleep(delayMs);
  }
}
