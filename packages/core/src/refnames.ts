/**
 * Git's ref-name rules (`git check-ref-format`), implemented here so names are checked before
 * anything is written (pure). A rendered release tag or branch that git would refuse must be a
 * config error at load and a policy refusal, never a failure half-way through a promotion.
 */

/** Why git would refuse `name` (a ref below refs/, like "blue/1.6.0"), or undefined when it is valid. */
export function gitRefNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '@') return 'is "@"';
  if (/[\u0000-\u0020\u007f]/.test(name)) return 'contains a space or a control character';
  const bad = /[~^:?*[\\]/.exec(name);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//'))
    return 'has an empty path component (a leading, trailing or double "/")';
  if (name.endsWith('.')) return 'ends with "."';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `has a component starting with "." (${JSON.stringify(part)})`;
    if (part.endsWith('.lock')) return `has a component ending with ".lock" (${JSON.stringify(part)})`;
  }
  return undefined;
}
