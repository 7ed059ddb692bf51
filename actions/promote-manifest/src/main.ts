import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import {
  editDeployFile,
  environmentChain,
  imageRepository,
  isSameDeployment,
  newManifestText,
  parseDeployFileSpec,
  promoteInManifest,
  promotionMessage,
  render,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateCommitSha,
  validateDigest,
  validateVersion,
  type ManifestEntry,
  type ManifestPromotion,
} from '@sd-actions/core';
import {
  code,
  getBoolean,
  getInteger,
  getList,
  getString,
  link,
  loadConfigFile,
  markdownTable,
  readContext,
  runAction,
  writeSummary,
} from '@sd-actions/action-kit';
import { basicAuthHeader, Git, parseIdentity, redactUrl, ScratchRepo, updateBranch } from '@sd-actions/git';

const NONE = 'none';

interface EditValue {
  previous?: ManifestEntry;
  /** Files whose text changed, for the summary. */
  touched: string[];
}

function describeEntry(entry: ManifestEntry | undefined): string {
  return entry ? `${entry.version ?? '(no version)'} (${entry.digest ?? 'no digest'})` : 'not deployed';
}

async function main(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Everything is validated before anything is fetched or written.
  const config = loadConfigFile(workspace, getString('config') ?? '.github/sd-actions.yml');
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }));
  const version = getString('version', { required: true });
  validateVersion(version);
  const digest = validateDigest(getString('digest', { required: true }));
  const image = getString('image') ?? imageRepository(config, service);
  if (!/^[a-z0-9][a-z0-9._:/-]*$/i.test(image) || image.includes('..'))
    throw new UserError(
      `Input "image": ${show(image)} is not valid; expected an image repository like registry.example/blue`,
    );
  const sourceCommit = getString('source-commit');
  if (sourceCommit !== undefined) validateCommitSha(sourceCommit);
  const fromName = getString('from-environment') ?? environment.from;
  if (fromName !== undefined) requireEnvironment(config, fromName, 'from-environment');
  const expectedPrevious = getString('expected-previous-version');
  if (expectedPrevious !== undefined && expectedPrevious !== NONE)
    validateVersion(expectedPrevious, 'expected-previous-version');
  const specs = getList('files').map((line) => parseDeployFileSpec(line));
  const dryRun = getBoolean('dry-run');
  const identity = parseIdentity(getString('committer') ?? '', 'committer');
  const actor = getString('actor') ?? context.actor;
  const attempts = getInteger('push-attempts', 10, 1, 50);
  const remoteName = getString('remote') ?? 'origin';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(remoteName))
    throw new UserError(
      `Input "remote": ${show(remoteName)} is not valid; expected a remote name like origin`,
    );

  const token = getString('token');
  let authHeader: string | undefined;
  if (token) {
    authHeader = basicAuthHeader(token);
    core.setSecret(token);
    core.setSecret(authHeader);
    core.setSecret(authHeader.replace(/^AUTHORIZATION: basic /, ''));
  }

  const workspaceGit = new Git(workspace);
  const configured = await workspaceGit.exec(['config', '--get', `remote.${remoteName}.url`]);
  if (configured.code !== 0)
    throw new UserError(
      `Input "remote": ${show(remoteName)} is not a remote of the repository in ${workspace}; expected a configured remote (actions/checkout creates origin)`,
    );
  let url = configured.stdout.toString('utf8').trim();
  // A local path remote is relative to the repository, not to our temporary clone.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !/^[^/]+@[^/]+:/.test(url) && !isAbsolute(url))
    url = resolve(workspace, url);

  const branch = environment.branch;
  const manifestPath = render(config.manifests, { environment: environment.name });
  const promotion: ManifestPromotion = {
    version,
    image,
    digest,
    commit: sourceCommit,
    promotedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    promotedBy: actor || undefined,
  };
  const where = (path: string) => `${branch}:${path}`;
  core.info(
    `Promoting ${service.name} ${version} (${digest}) to ${environment.name}: ${where(manifestPath)} on ${redactUrl(url)}${dryRun ? ' (dry run)' : ''}`,
  );

  // What the entry was when we started: a later attempt that finds it changed to something else
  // has raced with a promotion of the same service, which we must not silently overwrite.
  let firstSeen: ManifestEntry | undefined;
  const repo = await ScratchRepo.open({ url, authHeader, identity });
  try {
    const update = await updateBranch<EditValue>({
      repo,
      branch,
      dryRun,
      retry: { attempts },
      log: (line) => core.info(line),
      edit: async (state) => {
        const existing = await state.read(manifestPath);
        if (state.tip && existing === undefined)
          core.info(`${manifestPath} is not on ${branch} yet; creating it`);
        const text = existing ?? newManifestText(environment.name);
        const edited = promoteInManifest(
          text,
          where(manifestPath),
          environment.name,
          service.name,
          promotion,
        );
        const current = edited.previous;
        if (state.attempt === 1) firstSeen = current;
        if (!isSameDeployment(current, promotion)) {
          if (expectedPrevious !== undefined && (current?.version ?? NONE) !== expectedPrevious)
            throw new UserError(
              `${where(manifestPath)}: services.${service.name} is ${describeEntry(current)}, but expected-previous-version is ${expectedPrevious}; nothing was pushed`,
            );
          const moved =
            current?.version !== firstSeen?.version ||
            current?.digest !== firstSeen?.digest ||
            current?.image !== firstSeen?.image;
          if (state.attempt > 1 && moved)
            throw new UserError(
              `Conflict: services.${service.name} in ${where(manifestPath)} changed while this promotion ran, from ${describeEntry(firstSeen)} to ${describeEntry(current)} (another promotion of ${service.name}); nothing was pushed. Re-run to promote ${version} over it.`,
            );
        }
        const files: Record<string, string> = {};
        const touched: string[] = [];
        if (edited.changed) {
          files[manifestPath] = edited.text;
          touched.push(manifestPath);
        }
        for (const spec of specs) {
          const before = await state.read(spec.path);
          if (before === undefined)
            throw new UserError(
              `Input "files": ${spec.path} is not on branch ${branch}; expected an existing file there`,
            );
          const result = editDeployFile(before, spec, {
            version,
            digest,
            image,
            commit: sourceCommit,
            imageNames: [image, service.image, service.name],
          });
          if (result.changed) {
            files[spec.path] = result.text;
            touched.push(spec.path);
          }
        }
        const value = { previous: current, touched };
        if (touched.length === 0) return { value };
        // A first promotion creates the manifest even when only `files` changed.
        if (!files[manifestPath] && existing === undefined) files[manifestPath] = edited.text;
        const message = promotionMessage({
          service: service.name,
          environment: environment.name,
          version,
          previousVersion: current?.version,
          digest,
          image,
          sourceCommit,
          fromEnvironment: fromName,
          actor: actor || undefined,
          runUrl: context.runUrl,
        });
        return { files, message, value };
      },
    });

    const previous = update.value.previous;
    core.setOutput('changed', update.changed ? 'true' : 'false');
    core.setOutput('commit', !dryRun && update.commit ? update.commit : '');
    core.setOutput('branch', branch);
    core.setOutput('manifest-path', manifestPath);
    core.setOutput('previous-version', previous?.version ?? '');
    core.setOutput('previous-digest', previous?.digest ?? '');
    core.setOutput('created', update.created && !dryRun ? 'true' : 'false');

    const status = !update.changed
      ? `already up to date: ${where(manifestPath)} already deploys ${version} (${digest}); no commit made`
      : dryRun
        ? `dry run: would commit to ${branch} (nothing was pushed)`
        : `committed ${update.commit} to ${branch}${update.created ? ' (created the branch)' : ''}${update.attempts > 1 ? ` after ${update.attempts} attempts` : ''}`;
    core.info(`${service.name} in ${environment.name}: ${status}`);
    if (update.changed) core.info(update.diff);

    const commitUrl = (sha: string) =>
      context.repository ? `${context.serverUrl}/${context.repository}/commit/${sha}` : undefined;
    const chain = environmentChain(config, environment.name)
      .map((e) => e.name)
      .join(' → ');
    const heading = `### ${dryRun ? 'Dry run: ' : ''}promote ${service.name} ${version} to ${environment.name}\n\n`;
    const table = markdownTable(
      ['Service', 'Environment', 'Version', 'Digest', 'Source commit', 'Manifest commit'],
      [
        [
          service.name,
          fromName ? `${environment.name} (from ${fromName}; ${chain})` : environment.name,
          `${previous?.version ?? 'none'} → ${version}`,
          code(digest),
          sourceCommit ? link(sourceCommit.slice(0, 12), commitUrl(sourceCommit)) : '—',
          update.commit && !dryRun ? link(update.commit.slice(0, 12), commitUrl(update.commit)) : '—',
        ],
      ],
    );
    const files = update.value.touched.length
      ? `\nFiles on \`${branch}\`: ${update.value.touched.map((f) => `\`${f}\``).join(', ')}\n`
      : '';
    const diff =
      update.changed && dryRun
        ? `\n<details open><summary>Diff</summary>\n\n\`\`\`diff\n${update.diff.replace(/```/g, '`\u200b``')}\n\`\`\`\n\n</details>\n`
        : '';
    await writeSummary(
      `${heading}${table}\n${status.charAt(0).toUpperCase()}${status.slice(1)}.\n${files}${diff}`,
    );
  } finally {
    await repo.dispose();
  }
}

await runAction(main);
