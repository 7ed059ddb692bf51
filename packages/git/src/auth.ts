/**
 * Credentials and identity for git. A token never goes into a URL, an argument or a log line:
 * it travels as an `http.extraheader` set through GIT_CONFIG_COUNT/KEY/VALUE environment
 * variables (git ≥ 2.31), which only the git child process sees. The caller masks it.
 */
import { UserError, show } from '@sd-actions/core';

export interface Identity {
  name: string;
  email: string;
}

export const DEFAULT_IDENTITY: Identity = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};

/** Parse `Name <email>`; rejects anything that could smuggle a second header line. */
export function parseIdentity(text: string, input = 'committer'): Identity {
  const m = /^([^<>\r\n\u0000]+?)\s*<([^<>\s\u0000]+@[^<>\s\u0000]+)>$/.exec(text.trim());
  if (!m)
    throw new UserError(
      `Input "${input}": ${show(text)} is not valid; expected "Name <email>", like "${DEFAULT_IDENTITY.name} <${DEFAULT_IDENTITY.email}>"`,
    );
  return { name: m[1]!, email: m[2]! };
}

/** Author and committer environment for commit-tree and friends. */
export function identityEnv(identity: Identity): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: identity.name,
    GIT_AUTHOR_EMAIL: identity.email,
    GIT_COMMITTER_NAME: identity.name,
    GIT_COMMITTER_EMAIL: identity.email,
  };
}

/** The header GitHub accepts for a token over https, as actions/checkout sends it. */
export function basicAuthHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64')}`;
}

/**
 * Environment that adds `http.extraheader` to git's config, after any GIT_CONFIG_* entries
 * already present (so we extend rather than clobber the caller's).
 */
export function extraHeaderEnv(
  header: string,
  base: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const count = Number(base.GIT_CONFIG_COUNT ?? '0');
  const n = Number.isInteger(count) && count >= 0 ? count : 0;
  return {
    GIT_CONFIG_COUNT: String(n + 1),
    [`GIT_CONFIG_KEY_${n}`]: 'http.extraheader',
    [`GIT_CONFIG_VALUE_${n}`]: header,
  };
}

/** True for remotes where an http header means something. */
export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** A URL safe to print: any user:password@ part removed. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
