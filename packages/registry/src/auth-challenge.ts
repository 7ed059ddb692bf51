/**
 * `WWW-Authenticate` parsing (RFC 7235): a scheme followed by comma-separated auth-params whose
 * values may be quoted strings containing commas (scope="repository:a:pull,push"). Pure.
 */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse one or more challenges. Unknown or malformed parts are skipped, never thrown. */
export function parseChallenges(header: string | null | undefined): Challenge[] {
  const challenges: Challenge[] = [];
  if (!header) return challenges;
  let i = 0;
  const n = header.length;
  const skip = (re: RegExp) => {
    while (i < n && re.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skip(/[\s,]/);
    const start = i;
    const name = token();
    if (!name) {
      i++;
      continue;
    }
    skip(/\s/);
    if (header[i] === '=' && current) {
      i++;
      skip(/\s/);
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const vStart = i;
        while (i < n && header[i] !== ',') i++;
        value = header.slice(vStart, i).trim();
      }
      current.params[name.toLowerCase()] = value;
    } else {
      // A bare token starts a new challenge (token68 forms are not used by registries).
      i = start + name.length;
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The scope a request on `repository` needs, for registries whose challenge omits it. */
export function repositoryScope(repository: string, push: boolean): string {
  return `repository:${repository}:${push ? 'pull,push' : 'pull'}`;
}
