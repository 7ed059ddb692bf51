/**
 * build-once-tag for a chunk of services (input `services`, from a chunked detect matrix): each
 * service's `sha-<7>` image is found or built in turn and gets the requested tags. A failure for
 * one service does not stop the others; the step fails at the end naming them. Output `digests`
 * maps each service to its digest; one summary table for the chunk.
 */
import {
  imageRepository,
  registryPermissionHint,
  requireService,
  UserError,
  type Config,
  type ServiceConfig,
} from '@sd-actions/core';
import {
  code,
  getList,
  getString,
  log,
  markdownTable,
  readContext,
  readRegistryCredentials,
  recordChange,
  writeSummary,
} from '@sd-actions/action-kit';
import { openRegistry, retag, type Manifest, type Registry, type TagAction } from '@sd-actions/registry';
import { build, buildVariables } from './build.js';
import { buildOnce } from './build-lock.js';
import { buildTag, createdAt, ociLabels, requestedTags } from './plan.js';

/** The services of input `services`, checked against `service` (exactly one of them is given). */
export function servicesInput(config: Config): ServiceConfig[] | undefined {
  const single = getString('service');
  const many = getList('services');
  if (single !== undefined && many.length > 0)
    throw new UserError(
      'Inputs "service" and "services" were both given; expected exactly one non-empty (a workflow may pass both from a matrix entry that sets only one)',
    );
  if (single === undefined && many.length === 0)
    throw new UserError(
      'Input "service" or "services" is required; expected the service (or services) to build',
    );
  if (single !== undefined) return undefined;
  const names = [...new Set(many)];
  return names.map((name) => requireService(config, name, 'services'));
}

interface Row {
  service: string;
  image: string;
  digest?: string;
  built: boolean;
  written: TagAction[];
  error?: string;
}

export async function runMany(config: Config, services: ServiceConfig[]): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const sourceSha = getString('source-sha') ?? context.sha;
  if (!sourceSha) throw new UserError('Input "source-sha" is required when GITHUB_SHA is not set');
  const shaTag = buildTag(sourceSha, getString('source-sha') ? 'source-sha' : 'GITHUB_SHA');
  for (const input of ['digest', 'from-tag'])
    if (getString(input) !== undefined)
      throw new UserError(
        `Input "${input}" cannot be combined with "services": the retag-only form takes one service`,
      );
  const buildCommand = getString('build-command');
  const templates = getList('tags');
  // Every service's tags are checked before anything is built or written.
  const requests = new Map(
    services.map((s) => [s.name, requestedTags(templates, { service: s.name, sha: sourceSha.slice(0, 7) })]),
  );
  const credentials = readRegistryCredentials();
  const registry = openRegistry(config.registry, { workspace, credentials });
  const labels = ociLabels({
    sourceSha,
    serverUrl: context.serverUrl,
    repository: context.repository,
    version: shaTag,
    created: createdAt(process.env.SOURCE_DATE_EPOCH),
  });
  const rows: Row[] = [];
  try {
    for (const service of services) {
      const image = imageRepository(config, service);
      const row: Row = { service: service.name, image, built: false, written: [] };
      rows.push(row);
      try {
        const manifest = await buildOne(
          registry,
          config,
          service,
          { shaTag, sourceSha, buildCommand, labels, workspace, credentials },
          row,
        );
        const plan = await retag(registry, service.image, manifest, requests.get(service.name)!);
        row.written = plan.filter((a) => a.action === 'add' || a.action === 'move');
        for (const a of row.written) recordChange(`tag ${image}:${a.tag} set to ${row.digest}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const hint = registryPermissionHint(message, config.registry.type);
        row.error = hint ? `${message}\n${hint}.` : message;
        log.error(`${service.name}: ${row.error}`, { title: `sd-actions: ${service.name} not built` });
      }
    }
  } finally {
    await registry.close?.();
  }
  const digests = Object.fromEntries(rows.filter((r) => r.digest).map((r) => [r.service, r.digest!]));
  log.setOutput('digests', JSON.stringify(digests));
  log.setOutput('built', rows.some((r) => r.built) ? 'true' : 'false');
  await writeSummary(chunkSummary(rows, shaTag));
  const failed = rows.filter((r) => r.error);
  if (failed.length > 0)
    throw new UserError(
      `${failed.length} of ${rows.length} services failed: ${failed.map((r) => r.service).join(', ')} (see the errors above); the others were built or reused`,
    );
}

async function buildOne(
  registry: Registry,
  config: Config,
  service: ServiceConfig,
  o: {
    shaTag: string;
    sourceSha: string;
    buildCommand?: string;
    labels: string[];
    workspace: string;
    credentials: ReturnType<typeof readRegistryCredentials>;
  },
  row: Row,
): Promise<Manifest> {
  const image = row.image;
  let manifest = await registry.getManifest(service.image, o.shaTag);
  if (manifest) {
    log.info(`${image}:${o.shaTag} already exists (${manifest.digest}): reusing it, nothing is built`);
  } else {
    if (!o.buildCommand)
      throw new UserError(
        `${image}:${o.shaTag} does not exist and no "build-command" was given; expected a build command that pushes it`,
      );
    const buildCommand = o.buildCommand;
    const once = await buildOnce(
      {
        registry,
        repository: service.image,
        image,
        shaTag: o.shaTag,
        service: service.name,
        workspace: o.workspace,
      },
      () => build(buildCommand, buildVariables(config, service, { ...o, image }), o.workspace),
    );
    manifest = once.manifest;
    row.built = once.built;
  }
  row.digest = manifest.digest;
  return manifest;
}

function chunkSummary(rows: Row[], shaTag: string): string {
  const built = rows.filter((r) => r.built).length;
  const heading = `### build-once-tag: ${rows.length} services at ${shaTag} (${built} built, ${rows.filter((r) => r.digest && !r.built).length} reused, ${rows.filter((r) => r.error).length} failed)\n\n`;
  return (
    heading +
    markdownTable(
      ['Service', 'Image', 'Digest', 'Tags added', 'Build'],
      rows.map((r) => [
        r.service,
        code(r.image),
        r.digest ? code(r.digest) : '—',
        r.written.map((a) => a.tag).join(', ') || '—',
        r.error ? `failed: ${r.error.split('\n')[0]}` : r.built ? 'built by this run' : 'reused (not built)',
      ]),
    )
  );
}
