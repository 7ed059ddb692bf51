/**
 * The sd-actions config file as the actions read it: the `config` input (default
 * `.github/sd-actions.yml`), inside the workspace (see @sd-actions/gitops `readRepoConfig`).
 */
import { assertSharedRegistry, DEFAULT_CONFIG_PATH, parseConfig, type Config } from '@sd-actions/core';
import { readRepoConfig } from '@sd-actions/gitops';
import { getString } from './inputs.js';

export interface ConfigFileOptions {
  /** How messages name the path's source (default `Input "config"`). */
  label?: string;
}

/** The `config` input, or the default `.github/sd-actions.yml`. */
export function configInput(): string {
  return getString('config') ?? DEFAULT_CONFIG_PATH;
}

/**
 * Read the config file named by the `config` input, relative to the workspace: its text, and its
 * name for messages. The path must stay inside the workspace, also after following symlinks.
 */
export function readConfigFile(
  workspace: string,
  configPath: string,
  options: ConfigFileOptions = {},
): { text: string; file: string } {
  return readRepoConfig(workspace, configPath, { label: options.label ?? 'Input "config"' });
}

/**
 * Read and validate the config file named by the `config` input, relative to the workspace.
 * Inside GitHub Actions (GITHUB_ACTIONS=true) a workspace-local oci-layout registry is refused.
 */
export async function loadConfigFile(
  workspace: string,
  configPath: string,
  options: ConfigFileOptions & { inGitHubActions?: boolean } = {},
): Promise<Config> {
  const { text, file } = readConfigFile(workspace, configPath, options);
  const config = await parseConfig(text, file);
  if (options.inGitHubActions ?? process.env.GITHUB_ACTIONS === 'true')
    assertSharedRegistry(config, file, workspace);
  return config;
}
