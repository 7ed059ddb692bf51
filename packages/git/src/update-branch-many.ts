/**
 * Land several edits on a remote branch as a chain of commits carried by one push, with the same
 * fetch-edit-push retry as updateBranch (update-branch.ts): each attempt fetches the tip, runs the
 * caller's edit, which returns the whole batch (one entry per commit), builds the chain on the tip
 * and pushes its last commit without force. A lost race re-applies the whole batch in memory on
 * the new tip. History stays linear; a batch entry that changes nothing makes no commit.
 */
import type { ScratchRepo } from './scratch.js';
import { withPushRetry, type BranchState, type RetryPolicy } from './update-branch.js';

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
  const { repo, branch } = options;
  return withPushRetry<BranchManyUpdate<T>>({
    ...options,
    redoing: 'the batch',
    attempt: async (state) => {
      const result = await options.edit(state);
      const commits = await repo.commitChain(state.tip, result.commits);
      const outcome = { value: result.value, base: state.tip, attempts: state.attempt, commits };
      if (commits.length === 0)
        return { settle: () => ({ ...outcome, changed: false, created: false }), pushed: '' };
      const last = commits[commits.length - 1]!.commit;
      return {
        head: last,
        pushed: `pushed ${commits.length} commit(s) up to ${last.slice(0, 12)} to ${branch}`,
        settle: () => ({ ...outcome, changed: true, created: !state.tip }),
      };
    },
  });
}
