/**
 * Which failures are transient, and how long to wait before the next attempt. Pure: the clock
 * and the randomness are parameters, so the schedule is testable and tests never sleep.
 */
import type { RetryPolicy } from '@sd-actions/core';

/** The schedule part of the shared policy (packages/core/src/backoff.ts). */
export type BackoffOptions = Pick<RetryPolicy, 'attempts' | 'baseMs' | 'maxMs'>;

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 5, baseMs: 250, maxMs: 8000 };

/** The shared schedule (see packages/core/src/backoff.ts). */
export { backoffDelay } from '@sd-actions/core';

/** Retry-After is seconds or an HTTP date; returns ms, or undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599 && status !== 501);
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Network-level failures worth another attempt: resets, hang-ups, timeouts. Refused connections are not. */
export function isTransientError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const { name, code, message } = e as { name?: string; code?: string; message?: string };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (code && TRANSIENT_CODES.has(code)) return true;
    if (message && /socket hang up|other side closed|ECONNRESET/i.test(message)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** The shared policy (packages/core/src/backoff.ts). */
export type { RetryPolicy } from '@sd-actions/core';

/** The registry's defaults under `overrides`. */
export function defaultRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    ...DEFAULT_BACKOFF,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    ...overrides,
  };
}
