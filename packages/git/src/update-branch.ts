/**
 * Commit an edit to a remote branch with fetch-edit-push-retry.
 *
 * Each attempt fetches the branch tip, runs the caller's edit against the files there, commits
 * the result on top and pushes without force. When the push is rejected because the branch
 * moved (another promotion landed first), the next attempt re-runs the edit on the fresh tip
 * instead of rebasing: edits of different services then merge cleanly, and the edit callback
 * decides what counts as a real conflict (it throws a UserError, and nothing is pushed).
 * History stays linear: every commit has exactly the tip it was built on as its parent.
 *
 * Giving up: a lost race means another promotion landed, so a burst drains by itself; losing to
 * a branch that keeps moving is progress and is not held against the attempt budget. Only
 * attempts in a row that lose *without* the branch moving (a lock held, a remote that keeps
 * refusing) count toward `attempts`; `maxRounds` bounds everything. A busy or slow machine makes
 * races longer, never lost.
 */
import { backoffDelay, UserError, type RetryPolicy } from '@sd-actions/core';
import type { ScratchRepo } from './scratch.js';

export interface BranchState {
  /** The branch tip this attempt works on; undefined when the branch does not exist yet. */
  tip: string | undefined;
  /** 1 for the first attempt. */
  attempt: number;
  /** A file at the tip (undefined when missing or when there is no branch). */
  read(path: string): Promise<string | undefined>;
}

export type EditResult<T> =
  | {
      files: Record<string, string>;
      message: string;
      value: T;
      /** Commit even when the files change nothing (a ledger record). */
      allowEmpty?: boolean;
    }
  /** Nothing to change. */
  | { files?: undefined; value: T };

export type { RetryPolicy } from '@sd-actions/core';

export const DEFAULT_RETRY: RetryPolicy & { maxRounds: number } = {
  attempts: 10,
  maxRounds: 200,
  baseMs: 250,
  maxMs: 8000,
};

/**
 * The wait after losing a race the branch moved on (progress, not a fault): "full jitter" over a
 * window measured in observed round times (fetch → edit → push), doubling with each loss up to
 * 16 rounds. Racers spread over roughly as many rounds as there are of them, and a short round
 * on an idle machine means short waits; no fixed floor keeps the branch idle between landings.
 */
export function contentionDelay(
  policy: Pick<RetryPolicy, 'maxMs'>,
  roundMs: number,
  losses: number,
  random: () => number = Math.random,
): number {
  const window = Math.min(policy.maxMs, Math.max(1, roundMs) * 2 ** Math.min(4, Math.max(0, losses - 1)));
  return Math.round(random() * window);
}

/**
 * The wait after a lost push: losing to a moving branch waits a few round times (contentionDelay);
 * losing again and again on one tip (a held lock, a remote that keeps refusing) backs off
 * exponentially in earnest.
 */
export function lostPushDelay(
  policy: RetryPolicy,
  lostOnTip: number,
  roundMs: number,
  losses: number,
): number {
  return lostOnTip <= 2
    ? contentionDelay(policy, roundMs, losses, policy.random)
    : backoffDelay(lostOnTip - 2, policy, policy.random);
}

export interface UpdateBranchOptions<T> {
  repo: ScratchRepo;
  branch: string;
  edit: (state: BranchState) => Promise<EditResult<T>> | EditResult<T>;
  /** Build the commit and its diff, but push nothing. */
  dryRun?: boolean;
  retry?: Partial<RetryPolicy>;
  log?: (line: string) => void;
}

export interface BranchUpdate<T> {
  value: T;
  changed: boolean;
  /** The commit made (pushed unless dry-run); undefined when nothing changed. */
  commit?: string;
  /** The branch tip the final attempt built on (undefined: the branch did not exist). */
  base?: string;
  /** Whether the commit created the branch. */
  created: boolean;
  /** Unified diff of the commit; empty when nothing changed. */
  diff: string;
  attempts: number;
}

/** What one attempt built on the tip: the commit to push, or nothing to push. */
export interface PushAttempt<R> {
  /** The commit to push; undefined: nothing changed (`settle` gives the result). */
  head?: string;
  /** The result once the attempt is final (pushed, dry run, or nothing to push). */
  settle: () => Promise<R> | R;
  /** The log line for a landed push, e.g. "pushed abc to dev". */
  pushed: string;
}

export interface PushRetryOptions<R> {
  repo: ScratchRepo;
  branch: string;
  dryRun?: boolean;
  retry?: Partial<RetryPolicy>;
  log?: (line: string) => void;
  /** What a lost race redoes, for the log ("the edit", "the batch"). */
  redoing: string;
  /** Build on the fetched tip (undefined: no branch yet). */
  attempt: (state: BranchState) => Promise<PushAttempt<R>>;
}

/**
 * The fetch-build-push loop shared by updateBranch and updateBranchMany (module comment: what
 * counts against the budget, how long to wait after a lost race).
 */
export async function withPushRetry<R>(options: PushRetryOptions<R>): Promise<R> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? (() => undefined);
  const { repo, branch } = options;
  // Attempts that lost on the tip we last built on; reset whenever the branch has moved.
  let lostOnTip = 0;
  let lastTip: string | undefined;
  let lastDetail = '';
  const now = policy.now ?? (() => performance.now());
  let losses = 0;
  for (let attempt = 1; ; attempt++) {
    const started = now();
    const tip = await repo.fetchBranch(branch);
    if (attempt > 1) {
      if (tip !== lastTip) lostOnTip = 0;
      else if (lostOnTip >= policy.attempts)
        throw new UserError(
          `The push to branch ${JSON.stringify(branch)} kept being refused while the branch did not move: gave up after ${lostOnTip} attempts in a row (last: ${lastDetail}); nothing was pushed, re-run the job`,
        );
      if (attempt > policy.maxRounds)
        throw new UserError(
          `Branch ${JSON.stringify(branch)} kept moving: gave up after ${attempt - 1} attempts (last: ${lastDetail}); nothing was pushed, re-run the job`,
        );
    }
    const built = await options.attempt({
      tip,
      attempt,
      read: async (path) => (tip ? repo.readFile(tip, path) : undefined),
    });
    if (!built.head || options.dryRun) return built.settle();
    const pushed = await repo.push(built.head, branch);
    if (pushed.ok) {
      repo.noteTip(branch, built.head);
      log(`${built.pushed}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      return built.settle();
    }
    if (!pushed.retryable)
      throw new UserError(`The push to branch ${JSON.stringify(branch)} was refused: ${pushed.detail}`);
    lostOnTip = tip === lastTip ? lostOnTip + 1 : 1;
    lastTip = tip;
    lastDetail = pushed.detail;
    losses++;
    const delay = lostPushDelay(policy, lostOnTip, now() - started, losses);
    log(
      `branch ${branch} moved (${pushed.detail}); redoing ${options.redoing} on the new tip in ${delay} ms`,
    );
    await sleep(delay);
  }
}

export async function updateBranch<T>(options: UpdateBranchOptions<T>): Promise<BranchUpdate<T>> {
  const { repo, branch } = options;
  return withPushRetry<BranchUpdate<T>>({
    ...options,
    redoing: 'the edit',
    attempt: async (state) => {
      const { tip, attempt } = state;
      const result = await options.edit(state);
      const unchanged = {
        value: result.value,
        changed: false,
        base: tip,
        created: false,
        diff: '',
        attempts: attempt,
      };
      const commit = result.files
        ? await repo.commitFiles(tip, result.files, result.message, { allowEmpty: result.allowEmpty })
        : undefined;
      if (!commit) return { settle: () => unchanged, pushed: '' };
      return {
        head: commit,
        pushed: `pushed ${commit.slice(0, 12)} to ${branch}`,
        // The diff is worked out once, for the commit that lands: a lost race costs no extra process.
        settle: async () => ({
          value: result.value,
          changed: true,
          commit,
          base: tip,
          created: !tip,
          diff: await repo.diff(tip, commit),
          attempts: attempt,
        }),
      };
    },
  });
}
