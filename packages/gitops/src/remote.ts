/**
 * The repository's remote, as the actions reach it: its URL from the checkout's git config, and
 * the token as an http extra header (never in a URL, never in a log).
 */
import { isAbsolute, resolve } from 'node:path';
import { show, UserError } from '@sd-actions/core';
import { basicAuthHeader, extraHeaderEnv, Git, isHttpUrl } from '@sd-actions/git';

export interface RemoteAccess {
  /** The remote name in the workspace checkout (origin). */
  name: string;
  url: string;
  /** `AUTHORIZATION: basic …` for http(s) remotes, when a token was given. */
  authHeader?: string;
}

export interface RemoteOptions {
  /**
   * Called with each secret derived from the token (the token, the header, its base64 part) so
   * the caller can mask them in its log (actions pass `log.setSecret`). Adapters write no runner
   * commands themselves.
   */
  mask?: (secret: string) => void;
  /**
   * How messages name where the remote name came from (default `Remote`, as the CLI says it);
   * an action whose input gave it passes `Input "remote"`.
   */
  label?: string;
}

export async function resolveRemote(
  workspace: string,
  name: string,
  token: string | undefined,
  options: RemoteOptions = {},
): Promise<RemoteAccess> {
  const label = options.label ?? 'Remote';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new UserError(`${label}: ${show(name)} is not valid; expected a remote name like origin`);
  const configured = await new Git(workspace).exec(['config', '--get', `remote.${name}.url`]);
  if (configured.code !== 0)
    throw new UserError(
      `${label}: ${show(name)} is not a remote of the repository in ${workspace}; expected a configured remote (actions/checkout creates origin)`,
    );
  let url = configured.stdout.toString('utf8').trim();
  // A local path remote is relative to the repository, not to a temporary clone.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^/]+:/.test(url) && !isAbsolute(url))
    url = resolve(workspace, url);
  let authHeader: string | undefined;
  if (token) {
    authHeader = basicAuthHeader(token);
    for (const secret of [token, authHeader, authHeader.replace(/^AUTHORIZATION: basic /, '')])
      options.mask?.(secret);
  }
  return { name, url, authHeader };
}

/** Git in the workspace checkout, authenticated for pushes of tags and branches to the remote. */
export function workspaceGit(workspace: string, remote: RemoteAccess): Git {
  const git = new Git(workspace);
  return remote.authHeader && isHttpUrl(remote.url) ? git.withEnv(extraHeaderEnv(remote.authHeader)) : git;
}
