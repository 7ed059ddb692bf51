import { readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { assertSharedRegistry, parseConfig, UserError, type Config } from '@sd-actions/core';

/** Read the config file named by the `config` input, relative to the workspace: its text, and its name for messages. */
export function readConfigFile(workspace: string, configPath: string): { text: string; file: string } {
  const full = isAbsolute(configPath) ? configPath : join(workspace, configPath);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(
      `Input "config": ${JSON.stringify(configPath)} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`} in ${workspace}; expected the sd-actions config file (see the README: "Adopting sd-actions")`,
    );
  }
  const shown = isAbsolute(configPath) ? relative(workspace, full) || configPath : configPath;
  return { text, file: shown.startsWith('..') ? full : shown };
}

/**
 * Read and validate the config file named by the `config` input, relative to the workspace.
 * Inside GitHub Actions (GITHUB_ACTIONS=true) a workspace-local oci-layout registry is refused.
 */
export async function loadConfigFile(
  workspace: string,
  configPath: string,
  options: { inGitHubActions?: boolean } = {},
): Promise<Config> {
  const { text, file } = readConfigFile(workspace, configPath);
  const config = await parseConfig(text, file);
  if (options.inGitHubActions ?? process.env.GITHUB_ACTIONS === 'true')
    assertSharedRegistry(config, file, workspace);
  return config;
}
