/**
 * Inside GitHub Actions every job has a workspace of its own, so an `oci-layout` registry in the
 * workspace (the embedded default, for the demo and local rehearsals) holds an image only for the
 * job that built it: the next job's promotion would not find it. Refuse such a config at load.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Config } from './config.js';
import { UserError } from './errors.js';

export function assertSharedRegistry(config: Config, file: string, workspace: string): void {
  const { type, url } = config.registry;
  if (type !== 'oci-layout') return;
  const inside = !isAbsolute(url) || !relative(workspace, resolve(workspace, url)).startsWith('..');
  if (!inside) return;
  throw new UserError(
    `${file}: registry: oci-layout at ${JSON.stringify(url)} is a directory in this job's workspace` +
      `${config.registry.url === '.sd-actions/registry' ? ' (the default when registry is not set)' : ''}; ` +
      'inside GitHub Actions each job has its own workspace, so the next job would not find the image. ' +
      'Configure a real registry in the config, e.g. `registry: { type: oci, url: ghcr.io/<owner> }` ' +
      '(pass registry-username: github.actor and registry-password: GITHUB_TOKEN, with permissions ' +
      'packages: write) or `registry: { type: ecr, url: <account>.dkr.ecr.<region>.amazonaws.com }` ' +
      '(with aws-role-to-assume). oci-layout is for the local demo and tests.',
    { file },
  );
}
