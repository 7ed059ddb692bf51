/** The hotfix's commits: validate the inputs, resolve them, and check them against the release line. */
import semver from 'semver';
import {
  ChangeMatcher,
  SHA_PREFIX,
  show,
  UserError,
  type ChangedFile,
  type Config,
  type ServiceConfig,
} from '@sd-actions/core';
import { log } from '@sd-actions/action-kit';
import { ensureCommit, heldBy, type Git } from '@sd-actions/git';

/** The `commits` input, split on whitespace and checked as SHA prefixes. */
export function parseCommitInputs(list: string[]): string[] {
  const commitInputs = list.flatMap((c) => c.split(/\s+/)).filter(Boolean);
  if (commitInputs.length === 0) throw new UserError('Input "commits" is required but was not given');
  for (const c of commitInputs)
    if (!SHA_PREFIX.test(c.toLowerCase()))
      throw new UserError(
        `Input "commits": ${show(c)} is not valid; expected a commit SHA (7 to 64 hex digits)`,
      );
  return commitInputs;
}

/** Full SHAs of the commits to pick, read from the checkout's history (unshallowed if needed). */
export async function resolveCommits(git: Git, inputs: string[]): Promise<string[]> {
  if (await git.unshallow('origin'))
    log.info('The checkout was shallow: fetched the history the cherry-picks need');
  const full: string[] = [];
  for (const sha of inputs) {
    let resolved = await git.resolveCommit(sha);
    if (!resolved && sha.length === 40) {
      await ensureCommit(git, 'origin', sha).catch(() => undefined);
      resolved = await git.resolveCommit(sha);
    }
    if (!resolved)
      throw new UserError(
        `Input "commits": ${show(sha)} is not a commit in this repository or on origin; expected a pushed commit SHA`,
      );
    full.push(resolved);
  }
  return full;
}

/** Where a release line leaves main: the commit of its first (lowest) release tag. */
export function lineStart(
  tags: { commit: string; values: { version?: string } }[],
  version: string,
): string | undefined {
  const [major, minor] = version.split('.');
  const onLine = tags
    .filter(
      (t) =>
        t.values.version &&
        semver.valid(t.values.version) &&
        t.values.version.split('.').slice(0, 2).join('.') === `${major}.${minor}`,
    )
    .sort((a, b) => semver.compare(a.values.version!, b.values.version!));
  return onLine[0]?.commit;
}

/** Commits already cherry-picked onto the line (by the `(cherry picked from commit …)` trailer). */
export async function alreadyPicked(git: Git, tip: string, since: string | undefined): Promise<Set<string>> {
  const log = await git.run(['log', '--format=%B', '--end-of-options', tip, ...(since ? [`^${since}`] : [])]);
  return new Set([...log.matchAll(/\(cherry picked from commit ([0-9a-f]{40})\)/g)].map((m) => m[1]!));
}

/** Some but not all of the commits already on the line: refuse, naming both sets. */
export function refusePartlyPicked(
  commits: string[],
  missing: string[],
  picked: Set<string>,
  releaseBranch: string,
): void {
  if (missing.length < commits.length)
    throw new UserError(
      `Input "commits": ${commits
        .filter((c) => picked.has(c))
        .map((c) => c.slice(0, 12))
        .join(
          ', ',
        )} already on ${releaseBranch} but ${missing.map((c) => c.slice(0, 12)).join(', ')} not; pass only the commits still to pick`,
    );
}

/**
 * Before picking: a commit the line already holds is not a hotfix (git would call it a conflict
 * or an empty pick); one that touches none of the service's paths is probably the wrong commit.
 */
export async function checkPicks(
  git: Git,
  config: Config,
  service: ServiceConfig,
  onto: string,
  releaseBranch: string,
  missing: string[],
): Promise<void> {
  for (const c of missing) {
    const holder = await heldBy(git, onto, c);
    if (holder)
      throw new UserError(
        `Input "commits": ${c.slice(0, 12)} is already on ${releaseBranch}${holder === c ? ` (the line was cut after it: ${onto.slice(0, 12)} contains it)` : ` as ${holder.slice(0, 12)} (the same change)`}; nothing to hotfix — pass only commits the line lacks`,
      );
    const files = await git.diffNameStatus(`${c}^`, c);
    const touches = new ChangeMatcher(config)
      .match(files as ChangedFile[])
      .some((m) => m.service.name === service.name);
    if (!touches)
      log.warning(
        `${c.slice(0, 12)} changes none of ${service.name}'s paths (${service.path}${service.dependsOn.length ? `, ${service.dependsOn.join(', ')}` : ''}); is it the right commit for this service?`,
        { title: `sd-actions hotfix: ${service.name}` },
      );
  }
}
