import { imageRepository, registryPermissionHint, requireService, show, UserError } from '@sd-actions/core';
import {
  log,
  recordChange,
  getList,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  readRegistryCredentials,
  writeSummary,
} from '@sd-actions/action-kit';
import { DIGEST, openRegistry, retag, TAG, type Manifest } from '@sd-actions/registry';
import { build } from './build.js';
import { buildOnce } from './build-lock.js';
import { buildTag, createdAt, ociLabels, requestedTags } from './plan.js';
import { report, summary } from './report.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }), 'service');
  const sourceSha = getString('source-sha') ?? context.sha;
  if (!sourceSha) throw new UserError('Input "source-sha" is required when GITHUB_SHA is not set');
  const shaTag = buildTag(sourceSha, getString('source-sha') ? 'source-sha' : 'GITHUB_SHA');
  const digestInput = getString('digest', {
    pattern: DIGEST,
    expected: 'a digest like sha256:<64 hex digits>',
  });
  const fromTag = getString('from-tag', { pattern: TAG, expected: 'an image tag' });
  const buildCommand = getString('build-command');
  if (digestInput && fromTag)
    throw new UserError('Inputs "digest" and "from-tag" were both given; expected at most one of them');
  if ((digestInput || fromTag) && buildCommand)
    throw new UserError(
      `Input "build-command" cannot be combined with "${digestInput ? 'digest' : 'from-tag'}": the retag-only form never builds`,
    );
  const requested = requestedTags(getList('tags'), { service: service.name, sha: sourceSha.slice(0, 7) });

  const credentials = readRegistryCredentials();

  const registry = openRegistry(config.registry, { workspace, credentials });
  const repository = service.image;
  const image = imageRepository(config, service);
  const labels = ociLabels({
    sourceSha,
    serverUrl: context.serverUrl,
    repository: context.repository,
    version: shaTag,
    created: createdAt(process.env.SOURCE_DATE_EPOCH),
  });

  try {
    let manifest: Manifest | undefined;
    let built = false;
    if (digestInput || fromTag) {
      const reference = (digestInput ?? fromTag)!;
      manifest = await registry.getManifest(repository, reference);
      if (!manifest)
        throw new UserError(
          `Input "${digestInput ? 'digest' : 'from-tag'}": ${image}${digestInput ? '@' : ':'}${reference} does not exist in the ${config.registry.type} registry ${show(config.registry.url)}`,
        );
    } else {
      manifest = await registry.getManifest(repository, shaTag);
      if (manifest) {
        log.info(`${image}:${shaTag} already exists (${manifest.digest}): reusing it, nothing is built`);
      } else {
        if (!buildCommand)
          throw new UserError(
            `${image}:${shaTag} does not exist and no "build-command" was given; expected a build command that pushes it, or the digest/from-tag inputs to retag an existing image`,
          );
        ({ manifest, built } = await buildOnce(
          { registry, repository, image, shaTag, service: service.name, workspace },
          () =>
            build(
              buildCommand,
              {
                IMAGE: image,
                TAG: shaTag,
                SERVICE: service.name,
                SOURCE_SHA: sourceSha,
                CONTEXT: service.path,
                LABELS: labels.join('\n'),
                REGISTRY_TYPE: config.registry.type,
                REGISTRY_URL: config.registry.url,
                REGISTRY_INSECURE: String(config.registry.insecure),
                REPOSITORY: repository,
                ...(credentials
                  ? { REGISTRY_USERNAME: credentials.username, REGISTRY_PASSWORD: credentials.password ?? '' }
                  : {}),
              },
              workspace,
            ),
        ));
      }
    }

    let plan = await retag(registry, repository, manifest, requested);
    if (built) {
      // Build once under concurrency (issue 8 item 8): buildOnce guards the build with a claim
      // ref on origin. When it could not (no token, no origin), two runs building one commit at
      // once both push the sha tag and the last push holds it.
      // Resolve it again once our tags are written: if another run's push landed after ours, its
      // digest is the one the tag (and so every later promotion) names, and we report that one.
      // Our image stays unreferenced by any tag; nothing ever promotes it.
      const settled = await registry.getManifest(repository, shaTag);
      if (settled && settled.digest !== manifest.digest) {
        log.warning(
          `Another run built ${image}:${shaTag} at the same time and its push landed last: reporting its digest ${settled.digest}; this run's image ${manifest.digest} is not referenced by any tag. Give build jobs a concurrency group per service and commit to avoid the duplicate build.`,
          { title: `sd-actions: ${service.name} built twice` },
        );
        manifest = settled;
        plan = await retag(registry, repository, manifest, requested);
      }
    }
    for (const a of plan)
      if (a.action === 'add' || a.action === 'move')
        recordChange(`tag ${image}:${a.tag} set to ${manifest.digest}`);
    // Tags read or written by this run are known already: listing resolves only the others.
    const digest = manifest.digest;
    const known = new Map<string, string>(plan.map((a) => [a.tag, digest]));
    if (!digestInput) known.set(fromTag ?? shaTag, digest);
    const tags = await registry.tagsOf(repository, digest, known);
    report({ image, manifest, shaTag, built, plan, tags, labels, service: service.name });
    await writeSummary(summary({ image, manifest, shaTag, built, plan, service: service.name }));
  } catch (err) {
    // A registry that refuses us: say which permission is missing (packages: write, the ECR actions).
    const message = err instanceof Error ? err.message : String(err);
    const hint = registryPermissionHint(message, config.registry.type);
    throw hint ? new UserError(`${message}\n${hint}.`) : err;
  } finally {
    await registry.close?.();
  }
}
