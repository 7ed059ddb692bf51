/** The status matrix from the command line: read every environment's manifest from the remote. */
import { DEFAULT_CONFIG_PATH, renderStatusText, statusMatrix, type Config } from '@sd-actions/core';
import { ScratchRepo } from '@sd-actions/git';
import { loadRepoConfig, readDeployed, resolveRemote, type Deployed } from '@sd-actions/gitops';

export interface StatusOptions {
  repo: string;
  config?: string;
  remote?: string;
}

export async function readStatus(options: StatusOptions): Promise<{ config: Config; deployed: Deployed }> {
  // Reading what runs where never touches the registry: fine in any CI.
  const config = await loadRepoConfig(options.repo, options.config ?? DEFAULT_CONFIG_PATH, {
    label: '--config',
  });
  const remote = await resolveRemote(options.repo, options.remote ?? 'origin', undefined);
  const scratch = await ScratchRepo.open({ url: remote.url });
  try {
    return { config, deployed: await readDeployed(scratch, config) };
  } finally {
    await scratch.dispose();
  }
}

export async function statusText(options: StatusOptions & { maxWidth?: number }): Promise<string> {
  const { config, deployed } = await readStatus(options);
  return renderStatusText(config, statusMatrix(config, deployed), { maxWidth: options.maxWidth });
}
