/**
 * Repository-relative path handling shared by the config loader and change matching.
 * Paths use forward slashes, have no leading "./" or trailing "/", and never leave the repo.
 */

/** Normalise a repo-relative path, or explain why it is not one. */
export function normaliseRepoPath(raw: string): { path: string } | { problem: string } {
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

/** True when `file` is `dir` itself or lies under it. "projects/blue" does not own "projects/blue-green/x". */
export function isUnder(dir: string, file: string): boolean {
  if (dir === '.') return true;
  return (
    file === dir || (file.length > dir.length && file.startsWith(dir) && file.charCodeAt(dir.length) === 47)
  );
}

const GLOB_CHARS = /[*?[\]{}!()+@]/;

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}
