/**
 * Versions and the other identifiers a promotion carries (digests, commit SHAs): strict parsing,
 * validation with messages that name the input, and the next release version from conventional
 * commits. Everything here is whitelisted character by character, so a value that passes can be
 * written into YAML, a commit message or a git ref without quoting surprises and never carries
 * shell metacharacters.
 */
import semver from 'semver';
import { UserError, show } from './errors.js';

/** Strict semver 2.0.0, no leading "v", no whitespace (semver.org's own grammar). */
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;
/** The build tag build-once-tag gives every image: `sha-` and 7 to 40 lowercase hex digits. */
export const BUILD_TAG_PATTERN = /^sha-[0-9a-f]{7,40}$/;
export const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export const COMMIT_SHA_PATTERN = /^[0-9a-f]{40}$/;
/** A full object name: 40 (SHA-1) or 64 (SHA-256) lowercase hex digits. */
export const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** A commit SHA, full or abbreviated: 7 to 64 lowercase hex digits. */
export const SHA_PREFIX = /^[0-9a-f]{7,64}$/;

export interface SemverParts {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string[];
}

/** Parse strict semver; undefined for anything else (including "v1.2.3" and "1.2"). */
export function parseSemver(version: string): SemverParts | undefined {
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  // Components above 2^53 would compare wrongly as numbers.
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number) as [number, number, number];
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return {
    major,
    minor,
    patch,
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ? m[5].split('.') : [],
  };
}

export function isSemver(version: string): boolean {
  return parseSemver(version) !== undefined;
}

/** Semver precedence (build metadata ignored); throws for non-semver input. */
export function compareVersions(a: string, b: string): number {
  if (!isSemver(a) || !isSemver(b))
    throw new Error(`compareVersions: ${show(a)} or ${show(b)} is not semver`);
  return semver.compare(a, b);
}

export type VersionKind = 'release' | 'build';

/**
 * What a manifest may record as a version: a release (strict semver) or a build tag (`sha-abc1234`,
 * used in the entry environment before anything is released).
 */
export function classifyVersion(version: string): VersionKind | undefined {
  if (isSemver(version)) return 'release';
  if (BUILD_TAG_PATTERN.test(version)) return 'build';
  return undefined;
}

function rejectInput(input: string, value: string, expected: string): never {
  throw new UserError(`Input "${input}": ${show(value)} is not valid; expected ${expected}`);
}

/** Validate a version input; the message suggests the clean form for near misses like "v1.2.3". */
export function validateVersion(value: string, input = 'version'): VersionKind {
  const kind = classifyVersion(value);
  if (kind) return kind;
  const cleaned = /^[\w.+-]+$/.test(value.trim()) ? semver.clean(value) : null;
  const hint = cleaned && isSemver(cleaned) ? ` (did you mean ${cleaned}?)` : '';
  return rejectInput(input, value, `semver like 1.2.3 or a build tag like sha-abc1234${hint}`);
}

export function validateDigest(value: string, input = 'digest'): string {
  if (!DIGEST_PATTERN.test(value))
    rejectInput(input, value, 'a digest like sha256:<64 lowercase hex digits>');
  return value;
}

export function validateCommitSha(value: string, input = 'source-commit'): string {
  if (!COMMIT_SHA_PATTERN.test(value)) rejectInput(input, value, 'a full 40-character commit SHA');
  return value;
}

export type Bump = 'major' | 'minor' | 'patch';

/** Header of a conventional commit: `type(scope)!: description`. */
const CONVENTIONAL_HEADER = /^([A-Za-z]+)(?:\([^()\r\n]*\))?(!)?:\s/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE:\s/m;
const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

/** The bump one commit message asks for, or undefined when it is not relevant to a release. */
export function bumpOf(message: string): Bump | undefined {
  const header = CONVENTIONAL_HEADER.exec(message);
  if ((header && header[2]) || BREAKING_FOOTER.test(message)) return 'major';
  const type = header?.[1]?.toLowerCase();
  if (type === 'feat') return 'minor';
  if (type === 'fix' || type === 'perf') return 'patch';
  return undefined;
}

/** The largest bump asked for by any message; patch when none is relevant (a release still ships). */
export function bumpFromCommits(messages: readonly string[]): Bump {
  let best: Bump = 'patch';
  for (const message of messages) {
    const bump = bumpOf(message);
    if (bump && RANK[bump] > RANK[best]) best = bump;
  }
  return best;
}

/**
 * The next release after `last` for these commit messages. With no previous release the
 * bump applies to 0.0.0 (so a first `feat` gives 0.1.0). A prerelease `last` (1.2.0-rc.1)
 * is finished by any bump at or below its level, as semver's `inc` does.
 */
export function nextVersion(
  last: string | undefined,
  messages: readonly string[],
): { version: string; bump: Bump } {
  const base = last ?? '0.0.0';
  if (!isSemver(base)) throw new UserError(`The last version ${show(base)} is not semver like 1.2.3`);
  const bump = bumpFromCommits(messages);
  const version = semver.inc(base, bump);
  if (!version) throw new UserError(`Cannot compute the ${bump} version after ${show(base)}`);
  return { version, bump };
}
