/**
 * The sd-actions config file, read from a checkout: the path must stay inside it (also after
 * symlinks) and messages quote at most an excerpt of the path. Callers name where the path came
 * from (`Input "config"` in actions, `--config` in the CLI).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { DEFAULT_CONFIG_PATH, parseConfig, show, UserError, type Config } from '@sd-actions/core';

export interface ConfigFileOptions {
  /** How messages name the path's source: `Input "config"` in actions, `--config` in the CLI. */
  label: string;
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Read the sd-actions config file at `configPath`, relative to the workspace: its text, and its
 * name for messages. The path must stay inside the workspace, also after following symlinks, so
 * a caller's value cannot make us read (and quote) an arbitrary file of the runner.
 */
export function readRepoConfig(
  workspace: string,
  configPath: string,
  options: ConfigFileOptions,
): { text: string; file: string } {
  const { label } = options;
  const root = resolve(workspace);
  const full = resolve(root, configPath);
  const outside = () =>
    new UserError(
      `${label}: ${show(configPath)} is outside the workspace ${show(root)}; expected a path inside the repository, like ${DEFAULT_CONFIG_PATH}`,
    );
  if (!inside(root, full)) throw outside();
  const realRoot = realOrSelf(root);
  const realFull = realOrSelf(full);
  if (realFull !== full && !inside(realRoot, realFull)) throw outside();
  let text: string;
  try {
    text = readFileSync(realFull, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `${label}: ${show(configPath)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`} in ${root}; expected the sd-actions config file (see the README: "Adopting sd-actions")`,
    );
  }
  return { text, file: relative(root, full) };
}

/** Read and validate the sd-actions config file at `configPath`, relative to the workspace. */
export async function loadRepoConfig(
  workspace: string,
  configPath: string,
  options: ConfigFileOptions,
): Promise<Config> {
  const { text, file } = readRepoConfig(workspace, configPath, options);
  return await parseConfig(text, file);
}
