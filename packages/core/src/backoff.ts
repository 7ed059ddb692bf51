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
