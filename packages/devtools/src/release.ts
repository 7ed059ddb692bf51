/**
 * The release of sd-actions itself: `npm run release -- 1.2.0 --owner acme [--dry-run]`.
 *
 * Every internal reference (`uses: <owner>/sd-actions/<path>@<ref>`) in the reusable workflows and
 * the caller templates is rewritten to the owner and exact version being released, so a workflow
 * a caller pinned never runs actions of another version. Before anything is written it checks the
 * version, the owner, that the tree is clean, that the bundles are current (rebuilding changes
 * nothing under actions/ and promote/) and that action-docs/ is current. Then it commits, tags
 * `v<version>` and moves `v<major>` (not for pre-releases). Pushing stays a separate, printed step.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where internal references live, relative to the repository root. */
export const REFERENCE_DIRS = ['.github/workflows', '.github/workflow-templates'];
export const GENERATED_DIRS = ['actions', 'promote'];

const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
/** `uses: owner/sd-actions/path@ref`, optionally quoted; group 1 is everything before the owner. */
const REFERENCE = /(\buses:\s*['"]?)([A-Za-z0-9-]+)\/(sd-actions)\/([^@\s'"]+)@([^\s'"#]+)/g;

export interface Reference {
  file: string;
  line: number;
  owner: string;
  path: string;
  ref: string;
}

export class ReleaseError extends Error {}

/** Every internal `uses:` reference in the reference directories of `root`. */
export function internalReferences(root: string): Reference[] {
  const found: Reference[] = [];
  for (const file of referenceFiles(root)) {
    readFileSync(join(root, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        for (const m of text.matchAll(REFERENCE))
          found.push({ file, line: i + 1, owner: m[2]!, path: m[4]!, ref: m[5]! });
      });
  }
  return found;
}

/** Rewrite the internal references of one file's text; returns the new text and how many changed. */
export function rewriteReferences(
  text: string,
  owner: string,
  version: string,
): { text: string; changed: number } {
  let changed = 0;
  const out = text.replace(REFERENCE, (whole, lead: string, _owner: string, repo: string, path: string) => {
    const next = `${lead}${owner}/${repo}/${path}@v${version}`;
    if (next !== whole) changed++;
    return next;
  });
  return { text: out, changed };
}

function referenceFiles(root: string): string[] {
  return REFERENCE_DIRS.flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => `${dir}/${f}`)
      : [],
  );
}

export interface ReleaseOptions {
  root: string;
  version: string;
  owner: string;
  dryRun?: boolean;
  /** Rebuilds the bundles (default `npm run build`); the release refuses when that changes a file. */
  build?: string[];
  /** Fails when action-docs/ is stale (default `npm run check-docs`). */
  checkDocs?: string[];
  log?: (line: string) => void;
}

export interface ReleaseResult {
  tag: string;
  /** The moved major tag, e.g. v1; undefined for a pre-release. */
  major?: string;
  /** Files whose references were rewritten. */
  files: string[];
  references: number;
  /** The release commit (HEAD when nothing needed rewriting); undefined for a dry run. */
  commit?: string;
}

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function run(root: string, command: string[], what: string): { ok: boolean; output: string } {
  const [cmd, ...args] = command;
  const r = spawnSync(cmd!, args, { cwd: root, encoding: 'utf8' });
  if (r.error) throw new ReleaseError(`${what}: could not run ${command.join(' ')}: ${r.error.message}`);
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

const listed = (lines: string[]) =>
  lines.slice(0, 10).join(', ') + (lines.length > 10 ? ` and ${lines.length - 10} more` : '');

export function release(options: ReleaseOptions): ReleaseResult {
  const { root, owner, dryRun = false } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const version = options.version;

  // 1. Arguments, before anything runs.
  if (!VERSION.test(version))
    throw new ReleaseError(
      `version ${JSON.stringify(version)} is not a semver version; expected like 1.2.0 (no leading "v")`,
    );
  if (!OWNER.test(owner))
    throw new ReleaseError(
      `--owner ${JSON.stringify(owner)} is not a GitHub user or organisation name; expected like --owner acme`,
    );
  const tag = `v${version}`;
  const major = version.includes('-') ? undefined : `v${version.split('.')[0]}`;
  if (git(root, ['tag', '--list', tag]).trim())
    throw new ReleaseError(`tag ${tag} already exists; release a new version (tags of a release never move)`);

  // 2. A clean tree: the release commit must hold exactly what was checked.
  const dirty = git(root, ['status', '--porcelain']).split('\n').filter(Boolean);
  if (dirty.length > 0)
    throw new ReleaseError(
      `the working tree is not clean (${listed(dirty.map((l) => l.slice(3)))}); commit or stash first`,
    );

  // 3. Bundles and docs are current.
  const build = run(root, options.build ?? ['npm', 'run', 'build'], 'bundles');
  if (!build.ok) throw new ReleaseError(`the build failed; fix it first:\n${build.output}`);
  const stale = git(root, ['status', '--porcelain', '--', ...GENERATED_DIRS])
    .split('\n')
    .filter(Boolean);
  if (stale.length > 0)
    throw new ReleaseError(
      `the committed bundles are stale: rebuilding changed ${listed(stale.map((l) => l.slice(3)))}; ` +
        'the rebuilt files are left in the tree: review and commit them, then release again',
    );
  const docs = run(root, options.checkDocs ?? ['npm', 'run', 'check-docs'], 'docs');
  if (!docs.ok)
    throw new ReleaseError(
      `action-docs/ is stale; run npm run docs, commit, and release again:\n${docs.output}`,
    );

  // 4. Rewrite the internal references.
  const files: string[] = [];
  let references = 0;
  const writes: Array<[string, string]> = [];
  for (const file of referenceFiles(root)) {
    const before = readFileSync(join(root, file), 'utf8');
    const { text, changed } = rewriteReferences(before, owner, version);
    references += [...before.matchAll(REFERENCE)].length;
    if (changed > 0) {
      files.push(file);
      writes.push([file, text]);
      log(`${file}: ${changed} reference(s) → ${owner}/sd-actions/…@${tag}`);
    }
  }
  if (references === 0)
    throw new ReleaseError(`no internal uses: references found under ${REFERENCE_DIRS.join(', ')}`);
  if (dryRun) {
    log(
      `dry run: would commit ${files.length} file(s), tag ${tag}${major ? ` and move ${major}` : ''}; nothing changed`,
    );
    return { tag, major, files, references };
  }

  for (const [file, text] of writes) writeFileSync(join(root, file), text);
  if (writes.length > 0) {
    git(root, ['add', '--', ...files]);
    git(root, [
      'commit',
      '--quiet',
      '-m',
      `Release ${tag}`,
      '-m',
      `Internal references point at ${owner}/sd-actions@${tag}.`,
    ]);
  }
  const commit = git(root, ['rev-parse', 'HEAD']).trim();
  git(root, ['tag', '-a', tag, '-m', `sd-actions ${tag}`, commit]);
  if (major) git(root, ['tag', '-f', '-a', major, '-m', `sd-actions ${tag}`, commit]);
  log(`released ${tag} at ${commit.slice(0, 12)}${major ? `; ${major} moved` : ''}. Publish with:`);
  log(
    `  git push origin HEAD refs/tags/${tag}${major ? ` && git push --force origin refs/tags/${major}` : ''}`,
  );
  return { tag, major, files, references, commit };
}

const USAGE = `usage: npm run release -- <version> --owner <owner> [--dry-run]

Rewrites every internal uses: reference in .github/workflows and .github/workflow-templates to
<owner>/sd-actions/...@v<version>, checks the tree is clean and the bundles and docs are current,
commits, tags v<version> and moves v<major>.`;

export function main(argv: string[], root: string): number {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let owner: string | undefined;
  let dryRun = false;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--owner') owner = args[++i];
    else if (a.startsWith('--owner=')) owner = a.slice('--owner='.length);
    else if (a === '--dry-run') dryRun = true;
    else if (a.startsWith('-')) {
      console.error(`unknown option ${a}\n\n${USAGE}`);
      return 2;
    } else positional.push(a);
  }
  if (positional.length !== 1 || !owner) {
    console.error(USAGE);
    return 2;
  }
  try {
    release({ root, version: positional[0]!, owner, dryRun });
    return 0;
  } catch (e) {
    if (!(e instanceof ReleaseError)) throw e;
    console.error(`release refused: ${e.message}\nNothing was committed or tagged.`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { ROOT } = await import('./actions.js');
  process.exit(main(process.argv.slice(2), ROOT));
}
