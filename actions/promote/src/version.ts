/**
 * Which version a promotion carries: given, `auto` (from conventional commits since the last
 * release of the service), the release the artifact already has, or its build tag.
 */
import { core } from '@sd-actions/action-kit';
import {
  classifyVersion,
  nextVersion,
  releasedVersions,
  releaseTagName,
  UserError,
  isGlob,
  type ArtifactFacts,
  type Config,
  type ServiceConfig,
} from '@sd-actions/core';
import { ensureCommit, listTags, type Git } from '@sd-actions/git';

export async function chooseVersion(options: {
  input: string | undefined;
  artifact: ArtifactFacts | undefined;
  entryEnvironment: boolean;
  config: Config;
  service: ServiceConfig;
  /** Where release tags are listed and pushed (the remote, through the scratch repository). */
  remoteGit: Git;
  /** The user's checkout, for the history `auto` reads. */
  workspaceGit: Git;
  from: string;
}): Promise<{ version: string; how: string }> {
  const { input, artifact } = options;
  if (input && input !== 'auto') return { version: input, how: 'given' };
  if (input === 'auto') {
    if (!artifact) return { version: 'auto', how: 'auto' }; // policy refuses: no artifact
    return autoVersion(
      options.config,
      options.service,
      artifact.commit,
      options.remoteGit,
      options.workspaceGit,
    );
  }
  if (artifact?.version && classifyVersion(artifact.version) === 'release')
    return { version: artifact.version, how: `the release it carries in ${options.from}` };
  if (artifact && options.entryEnvironment)
    return { version: `sha-${artifact.commit.slice(0, 7)}`, how: 'the build tag' };
  throw new UserError(
    `Input "version" is required to promote ${options.service.name} from ${options.from}${artifact?.version ? ` (where it is ${artifact.version})` : ''}; expected semver like 1.6.0, or auto`,
  );
}

async function autoVersion(
  config: Config,
  service: ServiceConfig,
  commit: string,
  remoteGit: Git,
  workspaceGit: Git,
): Promise<{ version: string; how: string }> {
  const tags = await listTags(remoteGit, 'origin', config.git.tag, { service: service.name });
  const last = releasedVersions(
    config,
    service.name,
    tags.map((t) => t.name),
  )[0];
  const lastCommit = last
    ? tags.find((t) => t.name === releaseTagName(config, service.name, last))?.commit
    : undefined;

  // `auto` reads history: deepen a shallow checkout rather than guessing from a partial log.
  if ((await workspaceGit.run(['rev-parse', '--is-shallow-repository'])) === 'true') {
    core.info('version: auto needs the history since the last release; unshallowing the checkout');
    await workspaceGit.run(['fetch', '--quiet', '--unshallow', '--no-tags', 'origin']);
  }
  await ensureCommit(workspaceGit, 'origin', commit);
  if (lastCommit) await ensureCommit(workspaceGit, 'origin', lastCommit);
  const paths = [service.path, ...service.dependsOn].map((p) => (isGlob(p) ? `:(glob)${p}` : p));
  const range = lastCommit ? `${lastCommit}..${commit}` : commit;
  const log = await workspaceGit.run(['log', '--format=%B%x1e', '--end-of-options', range, '--', ...paths]);
  const messages = log
    .split('\x1e')
    .map((m) => m.trim())
    .filter(Boolean);
  const next = nextVersion(last, messages);
  return {
    version: next.version,
    how: `auto: ${next.bump} bump from ${last ?? 'no release'} (${messages.length} commit${messages.length === 1 ? '' : 's'} under ${service.path})`,
  };
}
