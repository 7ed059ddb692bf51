/** Run an operation again on transient faults, with the schedule from backoff.ts. */
import { UserError } from '@sd-actions/core';
import { backoffDelay, isTransientError, type RetryPolicy } from './backoff.js';

/** A failed attempt that may succeed later; `retryAfterMs` is the server's own hint. */
export class TransientError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

export async function withRetry<T>(policy: RetryPolicy, what: string, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      const transient = err instanceof TransientError || isTransientError(err);
      if (!transient || attempt >= policy.attempts) {
        // Out of attempts: a clean, user-facing failure carrying the registry's own words.
        if (transient) throw new UserError(`${what} failed after ${attempt} attempts: ${describe(err)}`);
        throw err;
      }
      const hinted = err instanceof TransientError ? err.retryAfterMs : undefined;
      const delayMs = Math.min(policy.maxMs, hinted ?? backoffDelay(attempt, policy, policy.random));
      policy.onRetry?.({ attempt, delayMs, reason: describe(err) });
      await (policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))))(delayMs);
    }
  }
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : (e.message ?? String(err));
}
