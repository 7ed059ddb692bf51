/**
 * What `docker login` a build needs before it pushes, from the config's registry: the host to log
 * in to and where the password comes from. Pure; the registry-login action runs it.
 */
import type { RegistryConfig } from './config.js';

export type LoginPlan =
  | { kind: 'skip'; reason: string }
  /** An `oci` registry: log in to `host` with the given username and password. */
  | { kind: 'oci'; host: string }
  /** ECR: a token from GetAuthorizationToken (user AWS) for `host`. */
  | { kind: 'ecr'; host: string };

/** The host part of a registry url (`ghcr.io/acme` → `ghcr.io`, `127.0.0.1:5000` stays). */
export function registryHost(url: string): string {
  return url.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

export function loginPlan(registry: RegistryConfig, hasCredentials: boolean): LoginPlan {
  switch (registry.type) {
    case 'oci-layout':
      return {
        kind: 'skip',
        reason: `registry.type is oci-layout (${registry.url}), a directory: there is nothing to log in to`,
      };
    case 'ecr':
      return { kind: 'ecr', host: registryHost(registry.url) };
    case 'oci':
      if (!hasCredentials)
        return {
          kind: 'skip',
          reason:
            `no registry-username/registry-password given for ${registryHost(registry.url)}: pushes work only if ` +
            'the runner is already logged in (for GHCR pass registry-username: github.actor and ' +
            'registry-password: GITHUB_TOKEN, with permissions packages: write)',
        };
      return { kind: 'oci', host: registryHost(registry.url) };
  }
}
