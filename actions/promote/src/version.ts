/**
 * Which version a promotion carries: given, `auto` (from conventional commits since the last
 * release of the service), the release the artifact already has, or its build tag.
 */
import { log } from '@sd-actions/action-kit';
import {
  classifyVersion,
  nextVersion,
  releasedVersions,
  releaseTagName,
  UserError,
  ChangeMatcher,
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
  if (!artifact)
    throw new UserError(
      `${options.service.name} has never been promoted to ${options.from}: promote it to ${options.from} first (nothing was changed)`,
    );
  throw new UserError(
    `Input "version" is required to promote ${options.service.name} from ${options.from}${artifact?.version ? ` (where it is ${artifact.version})` : ''}; expected semver like 1.6.0, or auto`,
  );
}

/**
 * Messages of the commits in `range` that change the service, by the same rules as
 * detect-changed-service (its path, its dependsOn, the shared paths), so `auto` counts exactly
 * the commits that would have rebuilt it.
 */
async function messagesTouching(
  git: Git,
  config: Config,
  service: ServiceConfig,
  range: string,
): Promise<string[]> {
  // Per commit: RS, message, US, then (with -z) NUL-separated file names.
  const out = await git.exec([
    'log',
    '-z',
    '--no-renames',
    '--name-only',
    '--format=%x1e%B%x1f',
    '--end-of-options',
    range,
  ]);
  if (out.code !== 0)
    throw new UserError(`version: auto could not read the history ${range}: ${out.stderr.trim()}`);
  const matcher = new ChangeMatcher(config);
  const messages: string[] = [];
  for (const record of out.stdout.toString('utf8').split('\x1e')) {
    const end = record.indexOf('\x1f');
    if (end < 0) continue;
    const files = record
      .slice(end + 1)
      .split('\0')
      .map((f) => f.replace(/^\n/, ''))
      .filter(Boolean)
      .map((path) => ({ status: 'M' as const, path }));
    if (matcher.match(files).some((c) => c.service.name === service.name))
      messages.push(record.slice(0, end).trim());
  }
  return messages;
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
  if (await workspaceGit.unshallow('origin'))
    log.info('version: auto needs the history since the last release; unshallowed the checkout');
  await ensureCommit(workspaceGit, 'origin', commit);
  if (lastCommit) await ensureCommit(workspaceGit, 'origin', lastCommit);
  const range = lastCommit ? `${lastCommit}..${commit}` : commit;
  const messages = await messagesTouching(workspaceGit, config, service, range);
  const next = nextVersion(last, messages);
  return {
    version: next.version,
    how: `auto: ${next.bump} bump from ${last ?? 'no release'} (${messages.length} commit${messages.length === 1 ? '' : 's'} changing ${service.name})`,
  };
}
