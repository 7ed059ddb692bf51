/**
 * Turns a ComparePlan into two commits that exist locally, fetching and deepening a shallow
 * checkout step by step when they are missing.
 */
import { log } from '@sd-actions/action-kit';
import { FULL_SHA, SHA_PREFIX, UserError, type ChangedFile, type ComparePlan } from '@sd-actions/core';
import type { Git } from '@sd-actions/git';

export interface Resolved {
  base: string;
  head: string;
  source: string;
}

export interface ResolveOptions {
  remote: string;
  maxDepth: number;
  onMissingBase: 'fallback' | 'fail';
}

/** Deepening steps: a few fetches cover most histories without pulling everything. */
export function depthSteps(maxDepth: number): number[] {
  const steps: number[] = [];
  for (let d = 64; d < maxDepth; d *= 4) steps.push(d);
  steps.push(maxDepth);
  return steps;
}

export const FETCH = ['fetch', '--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head'];

/** Make sure a commit is present, fetching it by name from the remote if needed. */
export async function ensureCommit(
  git: Git,
  ref: string,
  remote: string,
  shallow: boolean,
): Promise<string | undefined> {
  const local = await git.resolveCommit(ref);
  if (local) return local;
  // A SHA or a remote branch name: fetch just that, at depth 1 in a shallow clone.
  const wanted = ref.startsWith(`refs/remotes/${remote}/`)
    ? `refs/heads/${ref.slice(`refs/remotes/${remote}/`.length)}:${ref}`
    : ref;
  const args = [...FETCH, ...(shallow ? ['--depth=1'] : []), '--end-of-options', remote, wanted];
  const fetched = await git.exec(args);
  if (fetched.code !== 0) {
    log.debug(`could not fetch ${ref}: ${fetched.stderr.trim()}`);
    // The name may only be known after fetching the default refspec (e.g. an abbreviated SHA).
    return undefined;
  }
  return git.resolveCommit(ref);
}

/** merge-base of two commits, deepening a shallow history until they meet or the bound is hit. */
export async function mergeBaseDeepening(
  git: Git,
  a: string,
  b: string,
  options: ResolveOptions,
  shallow: boolean,
): Promise<string> {
  let found = await git.mergeBase(a, b);
  if (found) return found;
  if (shallow) {
    for (const depth of depthSteps(options.maxDepth)) {
      log.info(
        `Shallow checkout: deepening to ${depth} commits to find the merge-base of ${a.slice(0, 7)} and ${b.slice(0, 7)}`,
      );
      await git.run([...FETCH, `--depth=${depth}`, '--end-of-options', options.remote, a, b]);
      found = await git.mergeBase(a, b);
      if (found) return found;
      if (!(await git.isShallow())) break;
    }
  }
  throw new UserError(
    shallow
      ? `No common history between ${a.slice(0, 12)} and ${b.slice(0, 12)} within ${options.maxDepth} commits of a shallow checkout; set \`fetch-depth: 0\` on actions/checkout (or raise max-fetch-depth)`
      : `${a.slice(0, 12)} and ${b.slice(0, 12)} have no common history; pass an explicit base`,
  );
}

type DiffPlan = Extract<ComparePlan, { kind: 'diff' }>;

/**
 * The first git round trip of resolveComparison, which only reads: the shallow flag and the head
 * from one process, the base alongside it and, when both are full SHAs (a push), their diff.
 * Started before the config is read, git runs while the config parses. Nothing here throws or
 * rejects unhandled: a probe nobody awaits (the config was invalid) is simply dropped.
 */
export interface Probe {
  head: string;
  base: string | undefined;
  shallowAndCommit: Promise<{ shallow: boolean; commit?: string }>;
  baseCommit: Promise<string | undefined> | undefined;
  /** The diff of exactly `base` and `head`; used only if they resolve to themselves. */
  diff: Promise<ChangedFile[]> | undefined;
}

export function probeComparison(git: Git, plan: DiffPlan): Probe {
  const probe: Probe = {
    head: plan.head,
    base: plan.base,
    shallowAndCommit: git.shallowAndCommit(plan.head),
    baseCommit: plan.base === undefined ? undefined : git.resolveCommit(plan.base),
    diff:
      plan.base !== undefined && !plan.mergeBase && FULL_SHA.test(plan.base) && FULL_SHA.test(plan.head)
        ? (git.diffNameStatus(plan.base, plan.head) as Promise<ChangedFile[]>)
        : undefined,
  };
  for (const pending of [probe.shallowAndCommit, probe.baseCommit, probe.diff]) pending?.catch(() => {});
  return probe;
}

/** The changed files between two resolved commits, from the probe when it diffed exactly these. */
export async function changedFiles(
  git: Git,
  base: string,
  head: string,
  probe: Probe | undefined,
): Promise<ChangedFile[]> {
  if (probe?.diff && probe.base === base && probe.head === head) {
    // It fails when a commit was missing then (since fetched): diff again below.
    const files = await probe.diff.catch(() => undefined);
    if (files) return files;
  }
  return (await git.diffNameStatus(base, head)) as ChangedFile[];
}

export async function resolveComparison(
  git: Git,
  plan: DiffPlan,
  options: ResolveOptions,
  early?: Probe,
): Promise<Resolved | { all: string }> {
  // The common case in one round trip (see probeComparison), usually started already. Anything
  // missing goes through ensureCommit (fetching) below.
  const started = early && early.head === plan.head && early.base === plan.base ? early : undefined;
  const [probe, baseLocal] = await Promise.all([
    started?.shallowAndCommit ?? git.shallowAndCommit(plan.head),
    started ? started.baseCommit : plan.base === undefined ? undefined : git.resolveCommit(plan.base),
  ]);
  const shallow = probe.shallow;
  const head = probe.commit ?? (await ensureCommit(git, plan.head, options.remote, shallow));
  if (!head)
    throw new UserError(
      `Input "head": ${JSON.stringify(plan.head)} is not a commit in this repository or on ${options.remote}; expected a commit SHA, branch or tag`,
    );

  if (plan.base === undefined) {
    // A new branch: compare with where it left the default branch.
    const other = await ensureCommit(git, plan.mergeBaseWith ?? '', options.remote, shallow);
    if (!other) return { all: `${plan.source}, but ${plan.mergeBaseWith} was not found: every service` };
    const base = await mergeBaseDeepening(git, other, head, options, shallow);
    return { base, head, source: plan.source };
  }

  let base = baseLocal ?? (await ensureCommit(git, plan.base, options.remote, shallow));
  if (!base && shallow && SHA_PREFIX.test(plan.base.toLowerCase())) {
    // Some servers refuse to serve a commit by SHA: deepen the head's history until it shows up.
    for (const depth of depthSteps(options.maxDepth)) {
      log.info(`Shallow checkout: deepening to ${depth} commits to find ${plan.base.slice(0, 12)}`);
      await git.run([...FETCH, `--depth=${depth}`, '--end-of-options', options.remote, head]);
      base = await git.resolveCommit(plan.base);
      if (base || !(await git.isShallow())) break;
    }
  }
  if (!base && plan.explicit) {
    throw new UserError(
      `Input "base": ${JSON.stringify(plan.base)} is not a commit in this repository or on ${options.remote}; expected a commit SHA, branch or tag`,
    );
  }
  if (!base) {
    const what = `The base commit ${plan.base} (${plan.source}) does not exist here or on ${options.remote}; it was probably force-pushed away`;
    if (options.onMissingBase === 'fail')
      throw new UserError(`${what}. Pass an explicit base, or set on-missing-base: fallback`);
    if (plan.fallbackRef) {
      const other = await ensureCommit(git, plan.fallbackRef, options.remote, shallow);
      if (other) {
        const mb = await mergeBaseDeepening(git, other, head, options, shallow);
        if (mb !== head) {
          log.warning(
            `${what}. Falling back to the merge-base with ${plan.fallbackRef.split('/').pop()} (${mb.slice(0, 12)}).`,
            { title: 'Base commit not found' },
          );
          return {
            base: mb,
            head,
            source: `fallback: merge-base with ${plan.fallbackRef} (base ${plan.base.slice(0, 12)} not found)`,
          };
        }
      }
    }
    log.warning(`${what}. Reporting every service so nothing is missed.`, {
      title: 'Base commit not found',
    });
    return { all: `base ${plan.base.slice(0, 12)} not found (force-push?): every service` };
  }
  if (plan.mergeBase) {
    const mb = await mergeBaseDeepening(git, base, head, options, shallow);
    return { base: mb, head, source: plan.source };
  }
  return { base, head, source: plan.source };
}
