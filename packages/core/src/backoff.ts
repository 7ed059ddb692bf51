/**
 * The one retry schedule (registry faults, pushes that lost a race): exponential backoff with
 * "equal jitter" — half the ceiling plus a random part of the other half — so runners retrying at
 * once spread out, and no wait is so short it is barely a retry. Pure: randomness is a parameter.
 */
export interface BackoffSchedule {
  /** The first ceiling, ms; doubled for each further retry. */
  baseMs: number;
  /** No ceiling exceeds this. */
  maxMs: number;
}

/** Delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(
  retry: number,
  schedule: BackoffSchedule,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * How an operation is retried, in every layer that retries (registry requests, branch pushes):
 * the backoff schedule, the attempt budget and the injectable clock and randomness (tests never
 * sleep). Defaults are filled by each user (`defaultRetryPolicy` in the registry, `DEFAULT_RETRY`
 * for branch pushes).
 */
export interface RetryPolicy extends BackoffSchedule {
  /**
   * Attempts in all, the first included. For a branch push: attempts in a row that may lose
   * without the branch having moved.
   */
  attempts: number;
  /** Branch pushes: attempts in all however much the branch moves (the last resort). */
  maxRounds?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** A monotonic clock in ms, for observed round times. */
  now?: () => number;
  /** Called before each wait, for logs. */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}
