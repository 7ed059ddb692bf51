/**
 * Which two commits to compare, decided from the triggering event alone (pure).
 *
 *  push                 → `before`..`after`; a new branch (before = 0000…) → merge-base with the default branch
 *  pull_request(_target)→ merge-base(base.sha, head.sha)..head.sha: what the PR itself changes
 *  merge_group          → base_sha..head_sha
 *  workflow_dispatch, schedule, anything else → every service, unless `services` names some
 *  an explicit `base` input always wins and is compared directly.
 */

export type ComparePlan =
  | { kind: 'requested'; services: string[]; detail: string }
  | { kind: 'all'; detail: string }
  | {
      kind: 'diff';
      /** A commit-ish, or undefined when it has to be the merge-base with `mergeBaseWith`. */
      base: string | undefined;
      head: string;
      /** Compare against merge-base(base, head) instead of base itself. */
      mergeBase: boolean;
      /** When set, compare against merge-base(head, this ref) (new branches). */
      mergeBaseWith?: string;
      /** Human explanation of where the base came from. */
      source: string;
      /** If the base commit cannot be found (force-push), what to try instead. */
      fallbackRef?: string;
      /** The base came from an input: a missing one is an error, never a fallback. */
      explicit?: boolean;
    };

export interface CompareInputs {
  eventName: string;
  payload: Record<string, unknown>;
  /** GITHUB_SHA. */
  sha: string;
  /** GITHUB_REF. */
  ref: string;
  base?: string;
  head?: string;
  services: string[];
  /** The default branch, when the event payload does not say. */
  defaultBranch?: string;
  remote: string;
}

const ZERO = /^0+$/;

function get(payload: unknown, ...keys: string[]): unknown {
  let cur = payload;
  for (const key of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function str(payload: unknown, ...keys: string[]): string | undefined {
  const v = get(payload, ...keys);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function planComparison(inputs: CompareInputs): ComparePlan {
  const { eventName, payload } = inputs;
  if (inputs.services.length > 0) {
    return {
      kind: 'requested',
      services: inputs.services,
      detail: `requested by the services input (${eventName || 'no event'})`,
    };
  }
  const defaultBranch = inputs.defaultBranch ?? str(payload, 'repository', 'default_branch') ?? 'main';
  const defaultRef = `refs/remotes/${inputs.remote}/${defaultBranch}`;

  const head =
    inputs.head ??
    (eventName.startsWith('pull_request') ? str(payload, 'pull_request', 'head', 'sha') : undefined) ??
    (eventName === 'merge_group' ? str(payload, 'merge_group', 'head_sha') : undefined) ??
    (eventName === 'push' ? str(payload, 'after') : undefined) ??
    (inputs.sha || 'HEAD');

  if (inputs.base) {
    return {
      kind: 'diff',
      base: inputs.base,
      head,
      mergeBase: false,
      source: 'the base input',
      explicit: true,
    };
  }

  switch (eventName) {
    case 'push': {
      const before = str(payload, 'before');
      const pushedBranch = inputs.ref.startsWith('refs/heads/')
        ? inputs.ref.slice('refs/heads/'.length)
        : undefined;
      if (inputs.ref.startsWith('refs/tags/')) {
        return { kind: 'all', detail: `push of tag ${inputs.ref.slice('refs/tags/'.length)}: every service` };
      }
      if (!before || ZERO.test(before) || get(payload, 'created') === true) {
        if (pushedBranch === defaultBranch) {
          return { kind: 'all', detail: `first push of the default branch ${defaultBranch}: every service` };
        }
        return {
          kind: 'diff',
          base: undefined,
          head,
          mergeBase: true,
          mergeBaseWith: defaultRef,
          source: `new branch: merge-base with ${defaultBranch}`,
        };
      }
      return {
        kind: 'diff',
        base: before,
        head,
        mergeBase: false,
        source: 'push: the commit before the push',
        fallbackRef: pushedBranch === defaultBranch ? undefined : defaultRef,
      };
    }
    case 'pull_request':
    case 'pull_request_target':
    case 'pull_request_review':
    case 'pull_request_review_comment': {
      const base = str(payload, 'pull_request', 'base', 'sha');
      if (!base) return { kind: 'all', detail: `${eventName} without pull_request.base.sha: every service` };
      return { kind: 'diff', base, head, mergeBase: true, source: 'pull request: merge-base with its base' };
    }
    case 'merge_group': {
      const base = str(payload, 'merge_group', 'base_sha');
      if (!base) return { kind: 'all', detail: 'merge_group without base_sha: every service' };
      return { kind: 'diff', base, head, mergeBase: false, source: 'merge queue: the group base' };
    }
    default:
      return { kind: 'all', detail: `${eventName || 'no event'} without the services input: every service` };
  }
}
