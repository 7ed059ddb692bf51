/**
 * Release lines of a service, read from its git tags (pure): the latest release, and the next
 * patch version and release branch for a hotfix.
 */
import semver from 'semver';
import type { Config } from './config.js';
import { UserError } from './errors.js';
import { render, templateMatcher, type TemplateValues } from './templates.js';

/** Versions released for a service, from tag names like "blue/1.6.0", highest first. */
export function releasedVersions(config: Config, service: string, tagNames: readonly string[]): string[] {
  const match = templateMatcher(config.git.tag, { service });
  const versions = new Set<string>();
  for (const name of tagNames) {
    const found = match(name);
    // Templates may also use {major}/{minor}/{patch}; only tags carrying a clean version count.
    const version = found?.version;
    if (version && semver.valid(version) === version) versions.add(version);
  }
  return [...versions].sort(semver.rcompare);
}

/** Template values of a release: {service}, {version}, {major}, {minor}, {patch}. */
export function releaseValues(service: string, version: string): TemplateValues {
  const v = semver.parse(version);
  if (!v) throw new UserError(`${JSON.stringify(version)} is not semver like 1.2.3`);
  return { service, version, major: String(v.major), minor: String(v.minor), patch: String(v.patch) };
}

export function releaseBranchName(config: Config, service: string, version: string): string {
  return render(config.git.releaseBranch, releaseValues(service, version));
}

export function releaseTagName(config: Config, service: string, version: string): string {
  return render(config.git.tag, releaseValues(service, version));
}

export interface HotfixPlan {
  /** The release being patched: the line's branch starts at its tag when it does not exist yet. */
  baseVersion: string;
  version: string;
  releaseBranch: string;
  tag: string;
}

/**
 * The next patch on a release line. The line is `line` ("1.6") when given, else the line of the
 * latest release. The new version is one above the highest patch released on that line.
 */
export function planHotfix(
  config: Config,
  service: string,
  tagNames: readonly string[],
  line?: string,
): HotfixPlan {
  const released = releasedVersions(config, service, tagNames);
  if (released.length === 0) {
    throw new UserError(
      `${service} has no release yet (no tag matching ${JSON.stringify(render(config.git.tag, { service, version: '<version>', major: 'X', minor: 'Y', patch: 'Z' }))}); a hotfix patches a released version — promote a release first`,
    );
  }
  let onLine = released;
  if (line !== undefined) {
    const m = /^(\d+)\.(\d+)$/.exec(line);
    if (!m)
      throw new UserError(
        `Input "line": ${JSON.stringify(line)} is not valid; expected major.minor like 1.6`,
      );
    onLine = released.filter((v) => semver.major(v) === Number(m[1]) && semver.minor(v) === Number(m[2]));
    if (onLine.length === 0)
      throw new UserError(
        `Input "line": ${service} has no release on ${line}; released: ${released.slice(0, 5).join(', ')}`,
      );
  }
  const highest = onLine[0]!;
  const version = semver.inc(highest, 'patch')!;
  return {
    baseVersion: highest,
    version,
    releaseBranch: releaseBranchName(config, service, version),
    tag: releaseTagName(config, service, version),
  };
}
