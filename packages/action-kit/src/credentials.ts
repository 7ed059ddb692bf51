import * as log from './log.js';
import { UserError } from '@sd-actions/core';
import { getString } from './inputs.js';

/** Registry credentials from the registry-username/registry-password inputs (or their env fallbacks), masked. */
export function readRegistryCredentials(): { username: string; password?: string } | undefined {
  const username = getString('registry-username') ?? process.env.SD_ACTIONS_REGISTRY_USERNAME;
  const password = getString('registry-password') ?? process.env.SD_ACTIONS_REGISTRY_PASSWORD;
  if (password) log.setSecret(password);
  if (password && !username)
    throw new UserError(
      'Input "registry-password" was given without "registry-username"; expected both or neither',
    );
  return username ? { username, password } : undefined;
}
