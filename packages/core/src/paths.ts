/**
 * Repository-relative path handling shared by the config loader and change matching.
 * Paths use forward slashes, have no leading "./" or trailing "/", and never leave the repo.
 */

/**
 * A path that normalises to itself: segments that are neither empty, "." nor "..", no backslash,
 * NUL or leading drive letter. Most config paths are; one test instead of a split and join.
 */
const NORMAL_PATH = /^(?![A-Za-z]:)(?!\.\.?(?:\/|$))[^/\\\0]+(?:\/(?!\.\.?(?:\/|$))[^/\\\0]+)*$/;

/** Normalise a repo-relative path, or explain why it is not one. */
export function normaliseRepoPath(raw: string): { path: string } | { problem: string } {
  if (NORMAL_PATH.test(raw) && raw.trim() !== '') return { path: raw };
  if (raw.trim() === '') return { problem: 'is empty' };
  if (raw.includes('\0')) return { problem: 'contains a NUL byte' };
  if (raw.includes('\\')) return { problem: 'uses backslashes; use forward slashes' };
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
    return { problem: 'is absolute; it must be relative to the repository root' };
  const parts: string[] = [];
  for (const part of raw.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return { problem: 'escapes the repository ("..")' };
    parts.push(part);
  }
  return { path: parts.length === 0 ? '.' : parts.join('/') };
}

/**
 * Extra rules for a normalised path the actions write (a manifest, a deploy file): never inside
 * git's own directory. Git refuses such paths only after the registry has been changed.
 */
export function writablePathProblem(path: string): string | undefined {
  if (path === '.') return 'is the repository root';
  if (path.split('/').some((part) => part.toLowerCase() === '.git'))
    return "is inside .git/ (git's own directory, which no commit can contain)";
  return undefined;
}

/** True when `file` is `dir` itself or lies under it. "projects/blue" does not own "projects/blue-green/x". */
export function isUnder(dir: string, file: string): boolean {
  if (dir === '.') return true;
  return (
    file === dir || (file.length > dir.length && file.startsWith(dir) && file.charCodeAt(dir.length) === 47)
  );
}

/**
 * Characters a service `path` may not contain: it is always a literal directory, and these would
 * make it look like a glob. `@ + ! ( )` are ordinary in paths (`packages/@acme/ui`, `libs/c++`,
 * `libs/x (old)`) and allowed.
 */
const SERVICE_PATH_GLOB_CHARS = /[*?[\]{}]/;

export function hasGlobChars(path: string): boolean {
  return SERVICE_PATH_GLOB_CHARS.test(path);
}

/**
 * A `dependsOn`/`shared` entry is a glob when it has a wildcard (`*`, `?`), a bracket class
 * (`[...]`), a brace group (`{...}`) or an extglob group (`@(`, `!(`, `+(`; `?(` and `*(` already
 * have a wildcard). Anything else is a literal path, matched as a directory or file:
 * `packages/@acme/ui`, `libs/c++`, `libs/x (old)`.
 */
const GLOB = /[*?]|\[[^\]]*\]|\{[^}]*\}|[@!+]\(/;

export function isGlob(pattern: string): boolean {
  return GLOB.test(pattern);
}

/**
 * The picomatch pattern for one of our globs: characters that are literal in our syntax but
 * special to picomatch are escaped — parentheses and `|` outside an extglob group (picomatch
 * would make them a regex group or alternation, so `libs/x (old)/**` would never match) and a
 * leading `!` that is not `!(` (picomatch would negate the whole pattern).
 */
export function toPicomatch(pattern: string): string {
  let out = '';
  const groups: boolean[] = []; // per open parenthesis: is it an extglob group?
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const next = pattern[i + 1];
    if (c === '(') {
      const extglob = i > 0 && '@!+?*'.includes(pattern[i - 1]!);
      groups.push(extglob);
      out += extglob ? c : '\\(';
    } else if (c === ')') {
      out += groups.pop() ? c : '\\)';
    } else if (c === '|') {
      out += groups[groups.length - 1] ? c : '\\|';
    } else if (c === '!' && i === 0 && next !== '(') {
      out += '\\!';
    } else {
      out += c;
    }
  }
  return out;
}
