/**
 * The environment manifest (the project design, DESIGN.md §2.2, outside this repository; the
 * README carries it: "The manifests are the ledger"): `release-manifests/<env>.yaml` on the
 * environment's branch, saying which version/digest of each service runs there.
 *
 *   environment: production
 *   services:
 *     blue:
 *       version: 1.6.1
 *       image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/blue
 *       digest: sha256:4f1c…
 *       commit: 3b9d0c2…
 *       promotedAt: 2026-01-20T10:00:00Z
 *       promotedBy: alice
 *
 * Reading validates the shape with messages naming the file; editing goes through YamlEditor,
 * so only the promoted service's changed fields (or its new entry, appended at the end of
 * `services`) differ afterwards.
 */
import { UserError, show } from './errors.js';
import type { Config, EnvironmentConfig } from './config.js';
import { YamlEditor, type DeployFileSpec } from './deploy-files.js';
import { writablePathProblem } from './paths.js';
import { render } from './templates.js';
import { classifyVersion, COMMIT_SHA_PATTERN, DIGEST_PATTERN } from './versions.js';

export const MANIFEST_FIELDS = ['version', 'image', 'digest', 'commit', 'promotedAt', 'promotedBy'] as const;
export type ManifestField = (typeof MANIFEST_FIELDS)[number];
export type ManifestEntry = Partial<Record<ManifestField, string>>;

export interface Manifest {
  environment?: string;
  /** Services in file order. */
  services: Map<string, ManifestEntry>;
}

/** What a promotion writes. The first four identify the deployment; the rest record who and when. */
export interface ManifestPromotion {
  version: string;
  image: string;
  digest: string;
  commit?: string;
  promotedAt?: string;
  promotedBy?: string;
}

export interface ManifestEdit {
  text: string;
  changed: boolean;
  /** The service's entry before the edit; undefined when it was not in the manifest. */
  previous?: ManifestEntry;
}

function shapeError(file: string, path: string, value: unknown, expected: string): never {
  throw new UserError(`${file}: ${path}: ${show(value)} ${expected}`, { file });
}

function readManifest(editor: YamlEditor): Manifest {
  const file = editor.file;
  const root = editor.toJS();
  if (root === null || root === undefined) return { services: new Map() };
  if (typeof root !== 'object' || Array.isArray(root))
    shapeError(file, '(top level)', root, 'is not a mapping; expected environment: and services:');
  const { environment, services } = root as Record<string, unknown>;
  if (environment !== undefined && environment !== null && typeof environment !== 'string')
    shapeError(file, 'environment', environment, 'is not a string; expected the environment name');
  const out = new Map<string, ManifestEntry>();
  if (services !== undefined && services !== null) {
    if (typeof services !== 'object' || Array.isArray(services))
      shapeError(
        file,
        'services',
        services,
        'is not a mapping; expected service name: { version, digest, ... }',
      );
    for (const [name, entry] of Object.entries(services as Record<string, unknown>)) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
        shapeError(
          file,
          `services.${name}`,
          entry,
          'is not a mapping; expected { version, image, digest, ... }',
        );
      const fields: ManifestEntry = {};
      for (const field of MANIFEST_FIELDS) {
        const value = (entry as Record<string, unknown>)[field];
        if (value === undefined || value === null) continue;
        if (typeof value === 'string') fields[field] = value;
        // A hand-written `version: 2` is still readable; dates come from YAML 1.1 timestamps.
        else if (typeof value === 'number' && Number.isFinite(value)) fields[field] = String(value);
        else if (value instanceof Date) fields[field] = value.toISOString();
        else shapeError(file, `services.${name}.${field}`, value, 'is not a single value; expected a string');
      }
      out.set(name, fields);
    }
  }
  return { environment: typeof environment === 'string' ? environment : undefined, services: out };
}

/** Parse and validate a manifest; `file` names it in messages (e.g. "gitops/prod:release-manifests/prod.yaml"). */
export function parseManifest(text: string, file: string): Manifest {
  return readManifest(new YamlEditor(text, file));
}

/** The text of a new, empty manifest for an environment's first promotion. */
export function newManifestText(environment: string): string {
  return [
    `# What runs in ${environment}: one entry per service, written by sd-actions promote-manifest.`,
    '# Edits keep comments and order; the git history of this branch is the deployment ledger.',
    `environment: ${environment}`,
    'services: {}',
    '',
  ].join('\n');
}

/** True when the entry already deploys exactly this artifact (who/when do not count). */
export function isSameDeployment(entry: ManifestEntry | undefined, update: ManifestPromotion): boolean {
  return (
    entry !== undefined &&
    entry.version === update.version &&
    entry.image === update.image &&
    entry.digest === update.digest &&
    (update.commit === undefined || entry.commit === update.commit)
  );
}

/**
 * Write one service's entry. When the manifest already deploys the same artifact nothing
 * changes (no new promotedAt), so re-running a promotion makes no commit.
 */
export function promoteInManifest(
  text: string,
  file: string,
  environment: string,
  service: string,
  update: ManifestPromotion,
): ManifestEdit {
  const editor = new YamlEditor(text, file);
  const manifest = readManifest(editor);
  if (manifest.environment !== undefined && manifest.environment !== environment)
    throw new UserError(
      `${file}: environment: ${show(manifest.environment)} does not match the environment being promoted to (${show(environment)}); is the manifests template right?`,
      { file },
    );
  const previous = manifest.services.get(service);
  if (isSameDeployment(previous, update)) return { text, changed: false, previous };
  if (manifest.environment === undefined) editor.setIn(['environment'], environment);
  const entry: Record<string, string> = {};
  for (const field of MANIFEST_FIELDS) {
    const value = update[field];
    if (value !== undefined) entry[field] = value;
  }
  const changed = editor.setIn(['services', service], entry);
  return { text: editor.text, changed, previous };
}

/** An entry's deployment values, validated as strictly as the same values given as inputs. */
export interface ValidatedEntry {
  version: string;
  image: string;
  digest: string;
  commit: string;
  promotedAt?: string;
}

/**
 * Read a manifest entry that is about to be promoted onwards: a hand edit (`digest: dev`, a short
 * or invented commit, a version that is neither semver nor a build tag, another image) is refused
 * naming the file and key, as an input with that value would be. Undefined when the entry does not
 * name an artifact at all (no digest and no commit: nothing to promote).
 */
export function validatedEntry(
  entry: ManifestEntry | undefined,
  where: { file: string; service: string; image: string },
): ValidatedEntry | undefined {
  if (!entry || (entry.digest === undefined && entry.commit === undefined)) return undefined;
  const key = (field: string) => `${where.file}: services.${where.service}.${field}`;
  const fix = `fix the entry (or promote ${where.service} into that environment again)`;
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new UserError(`${key(field)}: ${show(value)} is not valid; expected ${expected}; ${fix}`, {
      file: where.file,
    });
  };
  const { digest, commit, version, image, promotedAt } = entry;
  if (digest === undefined || !DIGEST_PATTERN.test(digest))
    bad('digest', digest, 'a digest like sha256:<64 lowercase hex digits> (a tag never identifies an image)');
  if (commit === undefined || !COMMIT_SHA_PATTERN.test(commit))
    bad('commit', commit, 'the full 40-character source commit SHA');
  if (version === undefined || classifyVersion(version) === undefined)
    bad('version', version, 'semver like 1.2.3 or a build tag like sha-abc1234');
  if (image !== undefined && image !== where.image)
    bad('image', image, `${where.image}, the image of ${where.service} in the config`);
  if (promotedAt !== undefined && Number.isNaN(Date.parse(promotedAt)))
    bad('promotedAt', promotedAt, 'an ISO 8601 time like 2026-01-20T10:00:00Z');
  return { version: version!, image: where.image, digest: digest!, commit: commit!, promotedAt };
}

/** The manifest path of every environment that writes to `branch` (usually one). */
function manifestPathsOn(config: Config, branch: string): string[] {
  return [...config.environments.values()]
    .filter((env) => env.branch === branch)
    .map((env) => render(config.manifests, { environment: env.name }));
}

/**
 * A `files` entry may not name an environment manifest on the branch it is written to: the
 * manifest is written from the promotion alone, and the commit's trailers describe exactly that
 * entry. (A values edit of the manifest would leave it contradicting the ledger.)
 */
export function checkDeployFiles(
  config: Config,
  environment: EnvironmentConfig,
  specs: readonly DeployFileSpec[],
  input = 'files',
): void {
  const manifests = manifestPathsOn(config, environment.branch);
  for (const spec of specs) {
    if (manifests.includes(spec.path))
      throw new UserError(
        `Input "${input}": ${show(spec.path)} is the environment manifest on ${environment.branch} (manifests: ${config.manifests} in ${config.file}); it is written from the promotion itself, so list only kustomization or values files`,
      );
    const problem = writablePathProblem(spec.path);
    if (problem)
      throw new UserError(`Input "${input}": ${show(spec.path)} ${problem}; expected a deployment file`);
  }
}

/**
 * The one check that the manifest text about to be committed deploys exactly the promotion
 * whose values go into the commit's trailers (both are derived from the same object).
 */
export function assertManifestDeploys(
  text: string,
  file: string,
  service: string,
  promotion: ManifestPromotion,
): void {
  const entry = parseManifest(text, file).services.get(service);
  if (!isSameDeployment(entry, promotion))
    throw new UserError(
      `${file}: services.${service} would be ${show(entry)} after the edit, not the promoted ${promotion.version} (${promotion.digest}); nothing was pushed`,
    );
}
