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

/**
 * How a step reaches the GitHub Deployments API (promote, verify-deployment, rollback-service): the
 * `token` input, the run's repository and API URL; an API failure becomes a warning (best effort).
 */
export function deploymentsAccess(repository: string): {
  token: string | undefined;
  repository: string;
  apiUrl: string | undefined;
  warn: (message: string) => void;
} {
  return {
    token: getString('token'),
    repository,
    apiUrl: process.env.GITHUB_API_URL,
    warn: (m) => log.warning(m, { title: 'GitHub Deployments' }),
  };
}
