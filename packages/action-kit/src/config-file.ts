/**
 * The sd-actions config file as the actions read it: the `config` input (default
 * `.github/sd-actions.yml`), inside the workspace (see @sd-actions/gitops `readRepoConfig`).
 */
import { DEFAULT_CONFIG_PATH, type Config } from '@sd-actions/core';
import { loadRepoConfig, readRepoConfig } from '@sd-actions/gitops';
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

/** Read and validate the config file named by the `config` input, relative to the workspace. */
export async function loadConfigFile(
  workspace: string,
  configPath: string,
  options: ConfigFileOptions = {},
): Promise<Config> {
  return await loadRepoConfig(workspace, configPath, { label: options.label ?? 'Input "config"' });
}
