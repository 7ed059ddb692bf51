/**
 * The `.github/sd-actions.yml` contract (the project design, DESIGN.md §2.1, outside this
 * repository; the README carries it: "The config file"): parsing, defaults and validation.
 *
 * Every problem is reported as a UserError naming the file, the key path, the bad value and
 * what was expected, with the line of the offending node so annotations point at it.
 * Pure: the caller reads the file; `parseConfig` only sees its text.
 *
 * Fast for valid configs: js-yaml reads the text (config-fast.ts) and the value is validated
 * without positions. Only when that fails, or the text uses YAML the two libraries might read
 * differently, is it read again with the `yaml` library (config-document.ts, loaded on demand),
 * whose Document gives every message its line and column.
 */
import { parseApprovalSetting, type ApprovalPolicy } from './approval.js';
import type { KeyPath, Location } from './config-document.js';
import { loadPlain } from './config-fast.js';
import { UserError, show } from './errors.js';
import { readNotify, type NotifyConfig } from './notify-config.js';
import { hasGlobChars, normaliseRepoPath, writablePathProblem } from './paths.js';
import { gitRefNameProblem } from './refnames.js';
import { placeholdersOf, render, type Placeholder } from './templates.js';
import { readPipelineSpec, readVerify, type PipelineSpec, type VerifySpec } from './verify-config.js';

export const DEFAULT_CONFIG_PATH = '.github/sd-actions.yml';
export const REGISTRY_TYPES = ['oci-layout', 'oci', 'ecr'] as const;
export type RegistryType = (typeof REGISTRY_TYPES)[number];

export interface RegistryConfig {
  type: RegistryType;
  /** oci: host[:port][/namespace]; ecr: <account>.dkr.ecr.<region>.amazonaws.com; oci-layout: a directory. */
  url: string;
  /** Plain http (loopback or lab registries only). */
  insecure: boolean;
}

export interface ServiceConfig {
  name: string;
  /** Repo-relative directory whose changes mark the service changed. */
  path: string;
  /** Repository name under registry.url. */
  image: string;
  /** Paths or globs that also mark the service changed. */
  dependsOn: string[];
  /** Deployment checks that add to the environment's (verify-config.ts). */
  verify?: VerifySpec;
}

export type SoakPolicy = 'warn' | 'fail';

export interface EnvironmentConfig {
  name: string;
  /** The environment artifacts are promoted from; undefined for an entry environment (fed by builds). */
  from?: string;
  branch: string;
  /** Registry tags to put on the promoted digest; templates like "{version}", or moving tags like "prd". */
  tags: string[];
  approvals: number;
  /** The whole approval policy (`approvals` is its count); absent where an environment was built by hand. */
  approval?: ApprovalPolicy;
  /** Minimum time an artifact must have spent in `from` before it may be promoted here, in ms. */
  minSoakMs?: number;
  minSoak?: string;
  soakPolicy: SoakPolicy;
  allowDowngrade: boolean;
  /** Deployment checks (verify-config.ts). */
  verify?: VerifySpec;
  /**
   * The CodePipeline that deploys this environment: `environments.<env>.codepipeline` or
   * `environments.<env>.verify.codepipeline`, one shape (also in `verify.codepipeline`).
   */
  codepipeline?: PipelineSpec;
  /**
   * Whether a build (digest + source-commit) may be promoted straight into this environment,
   * skipping its `from`: true for entry environments; 'hotfix' (the default for the environment
   * right after an entry one): only a release version built from its release branch; false
   * (the default further down the chain): never.
   */
  acceptBuilds: boolean | 'hotfix';
  /**
   * The address shown on the environment's GitHub Deployments (their statuses' `environment_url`):
   * an http(s) URL template with `{service}`, `{version}`, `{environment}`. Render with environmentUrl().
   */
  url?: string;
}

export interface GitConfig {
  tag: string;
  releaseBranch: string;
}

export interface Config {
  /** The file the config was read from, repo-relative, for messages. */
  file: string;
  registry: RegistryConfig;
  services: Map<string, ServiceConfig>;
  shared: string[];
  environments: Map<string, EnvironmentConfig>;
  manifests: string;
  git: GitConfig;
  /** Where notifications go (notify-config.ts); absent when the config has no `notify`. */
  notify?: NotifyConfig;
}

export const DEFAULT_REGISTRY: RegistryConfig = {
  type: 'oci-layout',
  url: '.sd-actions/registry',
  insecure: false,
};
export const DEFAULT_MANIFESTS = 'release-manifests/{environment}.yaml';
export const DEFAULT_GIT: GitConfig = {
  tag: '{service}/{version}',
  releaseBranch: 'release/{service}-{major}.{minor}',
};
/** The default chain of the project design (DESIGN.md §2.1, outside this repository), used when a config has no `environments` key. */
export const DEFAULT_ENVIRONMENTS_YAML = {
  dev: { branch: 'gitops/dev-auto-update', tags: ['dev'] },
  staging: { from: 'dev', branch: 'gitops/staging-releases', tags: ['{version}'] },
  production: {
    from: 'staging',
    branch: 'gitops/production-releases',
    tags: ['{version}', 'prd'],
    approvals: 2,
    minSoak: '24h',
  },
};

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
/** OCI distribution spec repository name grammar. */
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const HOST =
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const ECR_HOST = /^\d{12}\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$/;
const DURATION = /^(?:\d+[smhdw])+$/;
const DURATION_UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** Parse a duration like "24h", "90m", "1d12h" into milliseconds. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * (DURATION_UNIT_MS[m[2] ?? 's'] ?? 0);
  return ms;
}

/** A git ref name component check, stricter than git's own (no shell-unfriendly characters either). */
export function refNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (!/^[A-Za-z0-9._\-/{}]+$/.test(name)) return 'may only contain letters, digits, ".", "_", "-" and "/"';
  if (name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.'))
    return 'must not start with "-" or "/" nor end with "/" or "."';
  if (name.includes('..') || name.includes('//')) return 'must not contain ".." or "//"';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')))
    return 'has a component starting with "." or ending with ".lock"';
  return undefined;
}

class Reader {
  constructor(
    readonly file: string,
    private readonly locate: (path: KeyPath, atKey?: boolean) => Location,
  ) {}

  fail(path: KeyPath, value: unknown, expected: string): never {
    const where = this.locate(path);
    const key = path.length ? path.join('.') : '(top level)';
    throw new UserError(`${this.file}: ${key}: ${show(value)} ${expected}`, where);
  }

  /** Like fail, for messages that do not quote a value. */
  failText(path: KeyPath, text: string, atKey = false): never {
    const key = path.length ? path.join('.') : '(top level)';
    throw new UserError(`${this.file}: ${key}: ${text}`, this.locate(path, atKey));
  }

  /** A mapping whose keys are all in `allowed` ('any': names, checked by the caller). */
  object(path: KeyPath, value: unknown, allowed: readonly string[] | 'any'): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, value, 'is not a mapping; expected keys');
    if (allowed === 'any') return value as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const hint = closest(key, allowed);
        this.failText(
          [...path, key],
          `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${allowed.join(', ')}`,
          true,
        );
      }
    }
    return value as Record<string, unknown>;
  }

  string(path: KeyPath, value: unknown, fallback?: string): string {
    if (value === undefined || value === null) {
      if (fallback !== undefined) return fallback;
      this.failText(path, 'is required');
    }
    if (typeof value !== 'string' || value.trim() === '') this.fail(path, value, 'is not a non-empty string');
    return value;
  }

  stringList(path: KeyPath, value: unknown): string[] {
    if (value === undefined || value === null) return [];
    if (typeof value === 'string') value = [value];
    if (!Array.isArray(value)) this.fail(path, value, 'is not a list of strings');
    return value.map((item, i) => this.string([...path, i], item));
  }

  boolean(path: KeyPath, value: unknown, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') this.fail(path, value, 'is not a boolean; expected true or false');
    return value;
  }

  template(
    path: KeyPath,
    value: string,
    allowed: readonly Placeholder[],
    required: readonly Placeholder[] = [],
  ): string {
    for (const name of placeholdersOf(value)) {
      if (!(allowed as readonly string[]).includes(name))
        this.fail(path, value, `uses {${name}}; expected only ${allowed.map((p) => `{${p}}`).join(', ')}`);
    }
    for (const name of required) {
      if (!placeholdersOf(value).includes(name)) this.fail(path, value, `must contain {${name}}`);
    }
    return value;
  }

  repoPath(path: KeyPath, value: unknown, allowGlob: boolean): string {
    const text = this.string(path, value);
    if (!allowGlob && hasGlobChars(text))
      this.fail(path, text, 'is a glob; expected a directory path (globs go in dependsOn or shared)');
    const result = normaliseRepoPath(text);
    if ('problem' in result)
      this.fail(path, text, `${result.problem}; expected a path inside the repository`);
    return result.path;
  }
}

/**
 * Parse and validate config text. `file` is only used in messages.
 * `options.fast: false` skips the fast path (tests compare the two).
 */
export async function parseConfig(
  text: string,
  file: string = DEFAULT_CONFIG_PATH,
  options: { fast?: boolean } = {},
): Promise<Config> {
  const plain = options.fast === false ? undefined : loadPlain(text);
  if (plain) {
    try {
      const config = readConfig(new Reader(file, () => ({ file })), plain.value ?? {});
      // A key `null` (or `~`) is "null" to js-yaml but "" to the `yaml` library.
      if (!config.services.has('null') && !config.environments.has('null')) return config;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
    }
  }
  // Something is wrong (or unusual): read it again with positions, for the exact message.
  const { readConfigDocument } = await import('./config-document.js');
  const { value, locate } = readConfigDocument(text, file);
  return readConfig(new Reader(file, locate), value ?? {});
}

function readConfig(r: Reader, rootValue: unknown): Config {
  const file = r.file;
  const root = r.object([], rootValue, [
    'registry',
    'services',
    'shared',
    'environments',
    'manifests',
    'git',
    'notify',
  ]);

  const registry = readRegistry(r, root.registry);
  const services = readServices(r, root.services);
  const shared = r.stringList(['shared'], root.shared).map((p, i) => r.repoPath(['shared', i], p, true));
  const environments = readEnvironments(r, root.environments);

  const manifestsRaw = r.string(['manifests'], root.manifests, DEFAULT_MANIFESTS);
  r.template(['manifests'], manifestsRaw, ['environment']);
  const manifests = readManifestsPath(r, manifestsRaw, [...environments.keys()]);
  const branches = [...environments.values()].map((e) => e.branch);
  if (new Set(branches).size !== branches.length && !placeholdersOf(manifests).includes('environment')) {
    r.fail(
      ['manifests'],
      manifests,
      'must contain {environment}, because several environments share a branch',
    );
  }

  const gitRaw = r.object(['git'], root.git ?? {}, ['tag', 'releaseBranch']);
  const git: GitConfig = {
    tag: r.template(
      ['git', 'tag'],
      r.string(['git', 'tag'], gitRaw.tag, DEFAULT_GIT.tag),
      ['service', 'version', 'major', 'minor', 'patch'],
      ['service', 'version'],
    ),
    releaseBranch: r.template(
      ['git', 'releaseBranch'],
      r.string(['git', 'releaseBranch'], gitRaw.releaseBranch, DEFAULT_GIT.releaseBranch),
      ['service', 'major', 'minor'],
      ['service'],
    ),
  };
  for (const key of ['tag', 'releaseBranch'] as const) {
    const problem = refNameProblem(git[key]);
    if (problem) r.fail(['git', key], git[key], `${problem}; expected a git ref name template`);
  }

  checkServiceRefNames(r, services, git);
  const notify = readNotify(r, root.notify);
  return { file, registry, services, shared, environments, manifests, git, ...(notify ? { notify } : {}) };
}

/**
 * The `manifests` template: a plain file path inside the repository, outside `.git/`, for every
 * environment. Checked on the template with each environment's name in place, and the message
 * quotes the template as written.
 */
function readManifestsPath(r: Reader, raw: string, environments: readonly string[]): string {
  if (hasGlobChars(raw.replace(/\{environment\}/g, 'x')))
    r.fail(
      ['manifests'],
      raw,
      'is a glob; expected a file path template like release-manifests/{environment}.yaml',
    );
  const samples = placeholdersOf(raw).length ? ['x', ...environments] : ['x'];
  let normalised: string | undefined;
  for (const name of samples) {
    const rendered = raw.replace(/\{environment\}/g, name);
    const result = normaliseRepoPath(rendered);
    const problem = 'problem' in result ? result.problem : writablePathProblem(result.path);
    if (problem)
      r.fail(
        ['manifests'],
        raw,
        `${problem}${name === 'x' ? '' : ` (for environment ${name}: ${rendered})`}; expected a file path inside the repository like release-manifests/{environment}.yaml`,
      );
    if (name === 'x' && 'path' in result) normalised = result.path;
  }
  // Normalising never touches the placeholder's segment: "x" stands where {environment} was.
  return raw.includes('{environment}') ? normaliseTemplate(raw) : normalised!;
}

/** Normalise a path template segment by segment, keeping placeholders as they are. */
function normaliseTemplate(raw: string): string {
  return raw
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/**
 * Every service must be able to form its release tag and release branch: "api.lock" or "a..b"
 * would pass everything else and then fail at the tag, half-way through a promotion.
 */
function checkServiceRefNames(r: Reader, services: Map<string, ServiceConfig>, git: GitConfig): void {
  const sample = { version: '1.0.0', major: '1', minor: '0', patch: '0' };
  const refs = [
    ['tag', git.tag, 'release tag'],
    ['releaseBranch', git.releaseBranch, 'release branch'],
  ] as const;
  // Each template is rendered once, with a hole where the service goes (2,000 services: 4,000
  // renders otherwise); on first use, so a template error comes where it always did.
  const HOLE = '\u0000';
  const parts = new Map<string, string[]>();
  const refOf = (template: string, service: string): string => {
    if (template.includes(HOLE)) return render(template, { ...sample, service });
    let p = parts.get(template);
    if (!p) parts.set(template, (p = render(template, { ...sample, service: HOLE }).split(HOLE)));
    return p.join(service);
  };
  for (const name of services.keys()) {
    const nameProblem = gitRefNameProblem(name);
    for (const [key, template, kind] of refs) {
      const ref = refOf(template, name);
      const problem = gitRefNameProblem(ref) ?? nameProblem;
      if (problem)
        r.failText(
          ['services', name],
          `${show(name)} cannot be a service name: its ${kind} ${show(ref)} (git.${key}) is not a valid git ref name (${problem}); expected a name without "..", a ".lock" ending or a leading "."`,
          true,
        );
    }
  }
}

function readRegistry(r: Reader, value: unknown): RegistryConfig {
  if (value === undefined || value === null) return { ...DEFAULT_REGISTRY };
  const raw = r.object(['registry'], value, ['type', 'url', 'insecure']);
  const type = r.string(['registry', 'type'], raw.type, DEFAULT_REGISTRY.type);
  if (!(REGISTRY_TYPES as readonly string[]).includes(type))
    r.fail(
      ['registry', 'type'],
      type,
      `is not a registry type; expected one of ${REGISTRY_TYPES.join(', ')}`,
    );
  const url = r.string(
    ['registry', 'url'],
    raw.url,
    type === 'oci-layout' ? DEFAULT_REGISTRY.url : undefined,
  );
  const insecure = r.boolean(['registry', 'insecure'], raw.insecure, false);
  if (type === 'oci' || type === 'ecr') {
    if (/^[a-z]+:\/\//i.test(url))
      r.fail(
        ['registry', 'url'],
        url,
        'has a scheme; expected host[:port][/namespace] (set insecure: true for plain http)',
      );
    if (!HOST.test(url))
      r.fail(['registry', 'url'], url, 'is not a registry address; expected host[:port][/namespace]');
  }
  if (type === 'ecr' && !ECR_HOST.test(url))
    r.fail(
      ['registry', 'url'],
      url,
      'is not an ECR registry; expected <account-id>.dkr.ecr.<region>.amazonaws.com',
    );
  if (type === 'ecr' && insecure)
    r.fail(['registry', 'insecure'], insecure, 'is not allowed for ecr; ECR is https only');
  return { type: type as RegistryType, url: url.replace(/\/+$/, ''), insecure };
}

function readServices(r: Reader, value: unknown): Map<string, ServiceConfig> {
  if (value === undefined || value === null)
    r.failText(
      ['services'],
      'is required; expected a mapping of service name to { path, image?, dependsOn? }',
    );
  const raw = r.object(['services'], value, 'any');
  const names = Object.keys(raw);
  if (names.length === 0) r.fail(['services'], raw, 'is empty; expected at least one service');
  const services = new Map<string, ServiceConfig>();
  const byImage = new Map<string, string>();
  for (const name of names) {
    if (!NAME.test(name))
      r.failText(
        ['services', name],
        `${show(name)} is not a valid service name; expected letters, digits, ".", "_" or "-" (at most 64)`,
        true,
      );
    const entry = r.object(['services', name], raw[name] ?? {}, ['path', 'image', 'dependsOn', 'verify']);
    const path = r.repoPath(['services', name, 'path'], entry.path, false);
    const image = r.string(['services', name, 'image'], entry.image, name);
    if (!REPOSITORY.test(image))
      r.fail(
        ['services', name, 'image'],
        image,
        'is not a valid image repository name; expected lowercase letters, digits and separators (OCI naming)',
      );
    const owner = byImage.get(image);
    if (owner !== undefined)
      r.fail(
        ['services', name, 'image'],
        image,
        `is already the image of service "${owner}"; each service needs its own image`,
      );
    byImage.set(image, name);
    const dependsOn = r
      .stringList(['services', name, 'dependsOn'], entry.dependsOn)
      .map((p, i) => r.repoPath(['services', name, 'dependsOn', i], p, true));
    const verify = readVerify(r, ['services', name, 'verify'], entry.verify);
    services.set(name, { name, path, image, dependsOn, ...(verify ? { verify } : {}) });
  }
  return services;
}

const URL_PLACEHOLDERS = ['service', 'version', 'environment'] as const;

/** `environments.<env>.url`: an http(s) URL template (checked with sample values), or undefined. */
function readEnvironmentUrl(r: Reader, path: KeyPath, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const url = r.template(path, r.string(path, value), URL_PLACEHOLDERS);
  const expected = 'is not an http(s) URL; expected e.g. https://{service}.{environment}.example.com';
  let parsed: URL;
  try {
    parsed = new URL(render(url, { service: 'blue', version: '1.0.0', environment: 'dev' }));
  } catch {
    r.fail(path, url, expected);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') r.fail(path, url, expected);
  if (parsed.username || parsed.password)
    r.fail(path, url, 'has credentials; the URL is shown on every deployment: expected none');
  return url;
}

/**
 * The environment's address for one service and version (`environments.<env>.url` rendered), for
 * the `environment_url` of GitHub Deployment statuses; undefined when the config gives none.
 */
export function environmentUrl(
  environment: Pick<EnvironmentConfig, 'name' | 'url'>,
  values: { service: string; version: string },
): string | undefined {
  if (!environment.url) return undefined;
  return render(environment.url, { ...values, environment: environment.name });
}

function readEnvironments(r: Reader, value: unknown): Map<string, EnvironmentConfig> {
  const raw = r.object(['environments'], value ?? DEFAULT_ENVIRONMENTS_YAML, 'any');
  const names = Object.keys(raw);
  if (names.length === 0) r.fail(['environments'], raw, 'is empty; expected at least one environment');
  const envs = new Map<string, EnvironmentConfig>();
  const defaulted = new Set<string>();
  for (const name of names) {
    const p = ['environments', name];
    if (!NAME.test(name))
      r.failText(
        p,
        `${show(name)} is not a valid environment name; expected letters, digits, ".", "_" or "-"`,
        true,
      );
    const e = r.object(p, raw[name] ?? {}, [
      'from',
      'branch',
      'tags',
      'approvals',
      'minSoak',
      'soakPolicy',
      'allowDowngrade',
      'verify',
      'acceptBuilds',
      'codepipeline',
      'url',
    ]);
    const from = e.from === undefined || e.from === null ? undefined : r.string([...p, 'from'], e.from);
    const branch = r.string([...p, 'branch'], e.branch, `gitops/${name}`);
    const branchProblem = refNameProblem(branch);
    if (branchProblem || branch.includes('{'))
      r.fail(
        [...p, 'branch'],
        branch,
        `${branchProblem ?? 'may not use placeholders'}; expected a git branch name`,
      );
    const tags = r.stringList([...p, 'tags'], e.tags).map((t, i) => {
      r.template([...p, 'tags', i], t, [
        'service',
        'version',
        'major',
        'minor',
        'patch',
        'sha',
        'environment',
      ]);
      if (!/^[A-Za-z0-9_{}][A-Za-z0-9_.{}-]{0,127}$/.test(t))
        r.fail(
          [...p, 'tags', i],
          t,
          'is not a valid image tag template; expected [A-Za-z0-9_][A-Za-z0-9_.-]*',
        );
      return t;
    });
    const approvalSetting = parseApprovalSetting(e.approvals);
    if ('problem' in approvalSetting) {
      const { path, value, expected } = approvalSetting.problem;
      r.fail([...p, 'approvals', ...path], value, expected);
    }
    const approval = approvalSetting.policy;
    const approvals = approval.count;
    let minSoak: string | undefined;
    let minSoakMs: number | undefined;
    if (e.minSoak !== undefined && e.minSoak !== null) {
      minSoak = String(e.minSoak);
      minSoakMs = parseDuration(minSoak);
      if (minSoakMs === undefined)
        r.fail(
          [...p, 'minSoak'],
          e.minSoak,
          'is not a duration; expected a number with a unit, like 30m, 24h or 2d',
        );
    }
    const soakPolicy = r.string([...p, 'soakPolicy'], e.soakPolicy, 'fail');
    if (soakPolicy !== 'warn' && soakPolicy !== 'fail')
      r.fail([...p, 'soakPolicy'], soakPolicy, 'is not a soak policy; expected warn or fail');
    const allowDowngrade = r.boolean([...p, 'allowDowngrade'], e.allowDowngrade, false);
    let acceptBuilds: boolean | 'hotfix' | undefined;
    if (e.acceptBuilds !== undefined && e.acceptBuilds !== null) {
      if (e.acceptBuilds !== true && e.acceptBuilds !== false && e.acceptBuilds !== 'hotfix')
        r.fail([...p, 'acceptBuilds'], e.acceptBuilds, 'is not valid; expected true, false or hotfix');
      acceptBuilds = e.acceptBuilds;
    }
    const url = readEnvironmentUrl(r, [...p, 'url'], e.url);
    let verify = readVerify(r, [...p, 'verify'], e.verify);
    // `codepipeline` directly under the environment (DESIGN.md) or in its verify block: one shape.
    const codepipeline = readPipelineSpec(r, [...p, 'codepipeline'], e.codepipeline);
    if (codepipeline && verify?.codepipeline && !samePipeline(codepipeline, verify.codepipeline))
      r.failText(
        [...p, 'codepipeline'],
        `differs from ${[...p, 'verify', 'codepipeline'].join('.')}; give the pipeline in one place`,
      );
    if (codepipeline && !verify?.codepipeline)
      verify = { ...(verify ?? { http: [], commands: [] }), codepipeline };
    envs.set(name, {
      name,
      from,
      branch,
      tags,
      approvals,
      approval,
      minSoak,
      minSoakMs,
      soakPolicy,
      allowDowngrade,
      // Resolved below, once every environment's `from` is known.
      acceptBuilds: acceptBuilds ?? (from === undefined ? true : 'hotfix'),
      ...(verify ? { verify } : {}),
      ...(verify?.codepipeline ? { codepipeline: verify.codepipeline } : {}),
      ...(url ? { url } : {}),
    });
    if (acceptBuilds === undefined) defaulted.add(name);
  }
  // The `from` links must name defined environments and must not loop.
  for (const env of envs.values()) {
    if (env.from === undefined) continue;
    if (env.from === env.name)
      r.fail(
        ['environments', env.name, 'from'],
        env.from,
        'is the environment itself; expected an earlier environment',
      );
    if (!envs.has(env.from))
      r.fail(
        ['environments', env.name, 'from'],
        env.from,
        `is not a defined environment; expected one of ${[...envs.keys()].join(', ')}`,
      );
    const seen = [env.name];
    for (let cur = envs.get(env.from); cur; cur = cur.from ? envs.get(cur.from) : undefined) {
      if (seen.includes(cur.name))
        r.failText(
          ['environments', env.name, 'from'],
          `the promotion chain loops: ${[...seen, cur.name].join(' <- ')}; expected a chain that starts at an environment without "from"`,
        );
      seen.push(cur.name);
    }
  }
  // Default acceptBuilds: hotfix builds may enter right after an entry environment (where
  // hotfix.yml promotes them); further down the chain only through it.
  for (const env of envs.values()) {
    if (!defaulted.has(env.name) || env.from === undefined) continue;
    env.acceptBuilds = envs.get(env.from)?.from === undefined ? 'hotfix' : false;
  }
  return envs;
}

/** The environment chain ending at `name`, oldest first: e.g. [dev, staging, production]. */
export function environmentChain(config: Config, name: string): EnvironmentConfig[] {
  const chain: EnvironmentConfig[] = [];
  for (
    let cur = config.environments.get(name);
    cur;
    cur = cur.from ? config.environments.get(cur.from) : undefined
  )
    chain.unshift(cur);
  return chain;
}

/** Full image repository for a service: registry url + image name. */
export function imageRepository(config: Config, service: ServiceConfig): string {
  return `${config.registry.url}/${service.image}`;
}

/** Look up a service or explain which exist. */
export function requireService(config: Config, name: string, input = 'service'): ServiceConfig {
  const service = config.services.get(name);
  if (!service) {
    const hint = closest(name, [...config.services.keys()]);
    throw new UserError(
      `Input "${input}": ${show(name)} is not a service in ${config.file}${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${[...config.services.keys()].join(', ')}`,
    );
  }
  return service;
}

/** Look up an environment or explain which exist. */
export function requireEnvironment(config: Config, name: string, input = 'environment'): EnvironmentConfig {
  const env = config.environments.get(name);
  if (!env) {
    const hint = closest(name, [...config.environments.keys()]);
    throw new UserError(
      `Input "${input}": ${show(name)} is not an environment in ${config.file}${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${[...config.environments.keys()].join(', ')}`,
    );
  }
  return env;
}

/** The closest candidate by edit distance, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  if (best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3))) return best;
  // An abbreviation ("prod" for production, "stg" for staging): a unique prefix or subsequence.
  const w = word.toLowerCase();
  const abbreviates = (c: string) =>
    w.length >= 3 && new RegExp(w.split('').join('.*')).test(c.toLowerCase());
  const matches = /^[a-z0-9-]+$/.test(w) ? candidates.filter(abbreviates) : [];
  return matches.length === 1 ? matches[0] : undefined;
}

/** Optimal string alignment distance: edits plus swaps of neighbours ("bleu" → "blue" is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

function samePipeline(a: PipelineSpec, b: PipelineSpec): boolean {
  return a.pipeline === b.pipeline && a.stage === b.stage;
}
