/**
 * sd-actions init: propose `.github/sd-actions.yml` from the repository's layout (every directory
 * with a Dockerfile is a service; lock files and library directories at the root are shared) and
 * write the caller workflows from sd-actions' templates with the service choices filled in.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseConfig, UserError } from '@sd-actions/core';

/** sd-actions' own checkout, where the caller templates live. */
export const SD_ACTIONS_ROOT = resolve(import.meta.dirname, '../../..');
export const TEMPLATES_DIR = join(SD_ACTIONS_ROOT, '.github', 'workflow-templates');

const SKIP = new Set(['node_modules', 'vendor', 'dist', 'build', 'target', 'testdata']);
const BUILD_FILES = ['Dockerfile', 'Containerfile'];
const SHARED_FILES = [
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'go.work',
  'go.work.sum',
  'Cargo.lock',
];
const SHARED_DIRS = ['libs', 'lib', 'shared', 'common', 'pkg'];
const MAX_DEPTH = 4;

export interface ProposedService {
  name: string;
  path: string;
}

/** Every directory (depth ≤ 4, no dot-directories or vendored trees) holding a Dockerfile. */
export function discoverServices(repo: string): ProposedService[] {
  const dirs: string[] = [];
  const walk = (dir: string, depth: number) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (dir !== repo && entries.some((e) => e.isFile() && BUILD_FILES.includes(e.name)))
      dirs.push(relative(repo, dir).split('\\').join('/'));
    if (depth >= MAX_DEPTH) return;
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith('.') && !SKIP.has(e.name)) walk(join(dir, e.name), depth + 1);
  };
  walk(repo, 0);
  dirs.sort();
  const nameOf = (path: string) =>
    path
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const short = dirs.map((d) => nameOf(basename(d)));
  return dirs.map((path, i) => ({
    // The directory name, unless two services share it: then the whole path.
    name: short.filter((s) => s === short[i]).length > 1 ? nameOf(path) : short[i]!,
    path,
  }));
}

export interface InitOptions {
  repo: string;
  /** The owner of the sd-actions copy the callers use (`acme` → acme/sd-actions/...). */
  owner: string;
  /** The ref the callers pin (default v1). */
  ref?: string;
  registry?: { type: 'oci' | 'ecr' | 'oci-layout'; url: string };
  force?: boolean;
  dryRun?: boolean;
  templatesDir?: string;
}

export interface InitResult {
  services: ProposedService[];
  config: { path: string; text: string };
  templates: Array<{ path: string; text: string }>;
  written: string[];
}

const yamlString = (s: string) => (/^[A-Za-z0-9_./-]+$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`);

export function proposeConfig(
  repo: string,
  services: ProposedService[],
  registry: InitOptions['registry'],
): string {
  const shared = [
    ...SHARED_FILES.filter((f) => existsSync(join(repo, f))),
    ...SHARED_DIRS.filter(
      (d) =>
        existsSync(join(repo, d)) &&
        statSync(join(repo, d)).isDirectory() &&
        !services.some((s) => s.path === d || s.path.startsWith(`${d}/`)),
    ).map((d) => `${d}/**`),
  ];
  const lines = [
    '# Proposed by `sd-actions init` from the repository layout: review it, then run `sd-actions validate`.',
    `registry: { type: ${registry!.type}, url: ${yamlString(registry!.url)} }`,
    'services:',
    ...services.map((s) => `  ${s.name}: { path: ${yamlString(s.path)} }`),
  ];
  if (shared.length > 0) lines.push(`shared: [${shared.map(yamlString).join(', ')}]`);
  lines.push(
    'environments:',
    '  dev: { branch: gitops/dev-auto-update, tags: [dev] }',
    "  staging: { from: dev, branch: gitops/staging-releases, tags: ['{version}'] }",
    "  production: { from: staging, branch: gitops/production-releases, tags: ['{version}', prd], minSoak: 24h }",
    'manifests: release-manifests/{environment}.yaml',
    '',
  );
  return lines.join('\n');
}

/** A caller template with the service choices, owner and ref filled in. */
export function fillTemplate(text: string, services: string[], owner: string, ref: string): string {
  return text
    .replace(/^(\s*options:\s*)\[[^\]\n]*\]/gm, `$1[${services.join(', ')}]`)
    .replace(/(\buses:\s*)[A-Za-z0-9-]+\/sd-actions\/([^@\s]+)@[^\s#]+/g, `$1${owner}/sd-actions/$2@${ref}`)
    .replace(/ Replace `org` with the owner of your sd-actions copy\./g, '');
}

export async function init(options: InitOptions): Promise<InitResult> {
  const repo = resolve(options.repo);
  if (!existsSync(repo) || !statSync(repo).isDirectory())
    throw new UserError(`--repo ${JSON.stringify(options.repo)}: no such directory`);
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(options.owner))
    throw new UserError(
      `--owner ${JSON.stringify(options.owner)} is not a GitHub user or organisation; expected like --owner acme`,
    );
  const ref = options.ref ?? 'v1';
  const services = discoverServices(repo);
  if (services.length === 0)
    throw new UserError(
      `no services found in ${repo}: init looks for directories with a Dockerfile (up to ${MAX_DEPTH} levels deep); write .github/sd-actions.yml by hand (see the README)`,
    );
  const registry = options.registry ?? {
    type: 'oci' as const,
    url: `ghcr.io/${options.owner.toLowerCase()}`,
  };
  const configPath = '.github/sd-actions.yml';
  const text = proposeConfig(repo, services, registry);
  await parseConfig(text, configPath); // what init proposes must be valid

  const templatesDir = options.templatesDir ?? TEMPLATES_DIR;
  const templates = readdirSync(templatesDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({
      path: `.github/workflows/${f}`,
      text: fillTemplate(
        readFileSync(join(templatesDir, f), 'utf8'),
        services.map((s) => s.name),
        options.owner,
        ref,
      ),
    }));
  const all = [{ path: configPath, text }, ...templates];
  const existing = all.filter((f) => existsSync(join(repo, f.path))).map((f) => f.path);
  if (existing.length > 0 && !options.force && !options.dryRun)
    throw new UserError(
      `${existing.join(', ')} already exist(s) in ${repo}; nothing was written (--force overwrites)`,
    );
  const written: string[] = [];
  if (!options.dryRun)
    for (const f of all) {
      mkdirSync(dirname(join(repo, f.path)), { recursive: true });
      writeFileSync(join(repo, f.path), f.text);
      written.push(f.path);
    }
  return { services, config: { path: configPath, text }, templates, written };
}
