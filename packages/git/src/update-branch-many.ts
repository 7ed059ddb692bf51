/**
 * Land several edits on a remote branch as a chain of commits carried by one push, with the same
 * fetch-edit-push retry as updateBranch (update-branch.ts): each attempt fetches the tip, runs the
 * caller's edit, which returns the whole batch (one entry per commit), builds the chain on the tip
 * and pushes its last commit without force. A lost race re-applies the whole batch in memory on
 * the new tip. History stays linear; a batch entry that changes nothing makes no commit.
 */
import { UserError } from '@sd-actions/core';
import type { ScratchRepo } from './scratch.js';
import {
  contentionDelay,
  DEFAULT_RETRY,
  retryDelay,
  type BranchState,
  type RetryPolicy,
} from './update-branch.js';

export interface BatchEdit {
  files: Record<string, string>;
  message: string;
}

export interface BatchEditResult<T> {
  /** The commits to make, in order; empty: nothing to change. */
  commits: BatchEdit[];
  value: T;
}

export interface UpdateBranchManyOptions<T> {
  repo: ScratchRepo;
  branch: string;
  edit: (state: BranchState) => Promise<BatchEditResult<T>> | BatchEditResult<T>;
  /** Build the commits, but push nothing. */
  dryRun?: boolean;
  retry?: Partial<RetryPolicy>;
  log?: (line: string) => void;
}

export interface BranchManyUpdate<T> {
  value: T;
  changed: boolean;
  /** The commits made (pushed unless dry-run), each with the index of its batch entry. */
  commits: { step: number; commit: string }[];
  /** The branch tip the final attempt built on (undefined: the branch did not exist). */
  base?: string;
  created: boolean;
  attempts: number;
}

export async function updateBranchMany<T>(options: UpdateBranchManyOptions<T>): Promise<BranchManyUpdate<T>> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? (() => undefined);
  const now = policy.now ?? (() => performance.now());
  const { repo, branch } = options;
  let lostOnTip = 0;
  let lastTip: string | undefined;
  let lastDetail = '';
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
    const result = await options.edit({
      tip,
      attempt,
      read: async (path) => (tip ? repo.readFile(tip, path) : undefined),
    });
    const commits = await repo.commitChain(tip, result.commits);
    const outcome = { value: result.value, base: tip, attempts: attempt, commits };
    if (commits.length === 0) return { ...outcome, changed: false, created: false };
    const done = { ...outcome, changed: true, created: !tip };
    if (options.dryRun) return done;
    const last = commits[commits.length - 1]!.commit;
    const pushed = await repo.push(last, branch);
    if (pushed.ok) {
      log(
        `pushed ${commits.length} commit(s) up to ${last.slice(0, 12)} to ${branch}${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
      );
      return done;
    }
    if (!pushed.retryable)
      throw new UserError(`The push to branch ${JSON.stringify(branch)} was refused: ${pushed.detail}`);
    lostOnTip = tip === lastTip ? lostOnTip + 1 : 1;
    lastTip = tip;
    lastDetail = pushed.detail;
    losses++;
    const delay =
      lostOnTip <= 2
        ? contentionDelay(policy, now() - started, losses, policy.random)
        : retryDelay(policy, lostOnTip - 2, policy.random);
    log(`branch ${branch} moved (${pushed.detail}); redoing the batch on the new tip in ${delay} ms`);
    await sleep(delay);
  }
}
