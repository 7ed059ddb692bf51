import {
  imageRepository,
  parseDeployFileSpec,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateCommitSha,
  validateDigest,
  validateVersion,
  type ManifestPromotion,
} from '@sd-actions/core';
import {
  log,
  recordChange,
  getBoolean,
  getInteger,
  timestamp,
  getList,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { parseIdentity, redactUrl, requireRemoteCommit, ScratchRepo } from '@sd-actions/git';
import { manifestPathOf, NO_PREVIOUS, resolveRemote, updateManifest } from '@sd-actions/gitops';
import { promotionSummary } from './summary.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Everything is validated before anything is fetched or written.
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }));
  const version = getString('version', { required: true });
  validateVersion(version);
  const digest = validateDigest(getString('digest', { required: true }));
  // The config's own image needs no check; a given one must be a plain repository reference.
  const imageInput = getString('image');
  if (
    imageInput !== undefined &&
    (!/^[A-Za-z0-9._:/@-]+$/.test(imageInput) || imageInput.split('/').includes('..'))
  )
    throw new UserError(
      `Input "image": ${show(imageInput)} is not valid; expected an image repository like registry.example/blue`,
    );
  const image = imageInput ?? imageRepository(config, service);
  const sourceCommit = getString('source-commit');
  if (sourceCommit !== undefined) validateCommitSha(sourceCommit);
  const fromName = getString('from-environment') ?? environment.from;
  if (fromName !== undefined) requireEnvironment(config, fromName, 'from-environment');
  const expectedPrevious = getString('expected-previous-version');
  if (expectedPrevious !== undefined && expectedPrevious !== NO_PREVIOUS)
    validateVersion(expectedPrevious, 'expected-previous-version');
  const specs = getList('files').map((line) => parseDeployFileSpec(line));
  const dryRun = getBoolean('dry-run');
  const identity = parseIdentity(getString('committer') ?? '', 'committer');
  const actor = getString('actor') ?? context.actor;
  const attempts = getInteger('push-attempts', 10, 1, 50);
  const remoteName = getString('remote') ?? 'origin';

  const remote = await resolveRemote(workspace, remoteName, getString('token'), {
    mask: log.setSecret,
    label: 'Input "remote"',
  });
  const manifestPath = manifestPathOf(config, environment.name);
  const branch = environment.branch;
  const promotion: ManifestPromotion = {
    version,
    image,
    digest,
    commit: sourceCommit,
    promotedAt: timestamp(),
    promotedBy: actor || undefined,
  };
  const where = (path: string) => `${branch}:${path}`;
  log.info(
    `Promoting ${service.name} ${version} (${digest}) to ${environment.name}: ${where(manifestPath)} on ${redactUrl(remote.url)}${dryRun ? ' (dry run)' : ''}`,
  );

  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader, identity });
  try {
    // The ledger records the source commit: it must be in origin before anything is written.
    if (sourceCommit !== undefined)
      await requireRemoteCommit(repo.git, sourceCommit, `remote ${JSON.stringify(remoteName)}`);
    const update = await updateManifest({
      repo,
      config,
      service,
      environment,
      promotion,
      fromEnvironment: fromName,
      specs,
      expectedPrevious,
      dryRun,
      attempts,
      runUrl: context.runUrl,
      log: (line) => log.info(line),
    });

    if (update.changed && update.commit && !dryRun)
      recordChange(`manifest commit ${update.commit.slice(0, 12)} pushed to ${branch}`);
    const previous = update.previous;
    log.setOutput('changed', update.changed ? 'true' : 'false');
    log.setOutput('commit', !dryRun && update.commit ? update.commit : '');
    log.setOutput('branch', branch);
    log.setOutput('manifest-path', manifestPath);
    log.setOutput('previous-version', previous?.version ?? '');
    log.setOutput('previous-digest', previous?.digest ?? '');
    log.setOutput('created', update.created && !dryRun ? 'true' : 'false');

    const status = !update.changed
      ? `already up to date: ${where(manifestPath)} already deploys ${version} (${digest}); no commit made`
      : dryRun
        ? `dry run: would commit to ${branch} (nothing was pushed)`
        : `committed ${update.commit} to ${branch}${update.created ? ' (created the branch)' : ''}${update.attempts > 1 ? ` after ${update.attempts} attempts` : ''}`;
    log.info(`${service.name} in ${environment.name}: ${status}`);
    if (update.changed) log.info(update.diff);

    await writeSummary(
      promotionSummary({
        context,
        config,
        serviceName: service.name,
        environmentName: environment.name,
        fromName,
        branch,
        version,
        digest,
        sourceCommit,
        dryRun,
        update,
        status,
      }),
    );
  } finally {
    await repo.dispose();
  }
}
