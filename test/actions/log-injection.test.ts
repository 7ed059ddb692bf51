/**
 * Log injection, through the committed bundles: values an attacker controls (a file name in a
 * pull request, a field of a manifest on a GitOps branch) must never start a workflow command in
 * the log, in either syntax (`::command::` after optional spaces, `##[command]` anywhere).
 * Each describe builds its own repositories.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  type ActionRun,
  buildImage,
  checkoutClone,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  tempDir,
} from '@sd-actions/testkit';

/** What an attacker would like the runner to execute, one per line after a newline. */
const PAYLOADS = [
  '::warning title=INJECTED::forged',
  '::add-mask::blue',
  '::stop-commands::pwned',
  '  ::error title=INJECTED::indented',
  '##[error]legacy forged',
  'tail ##[warning]legacy anywhere',
];

/** The run's stdout holds no line that the runner would read as a command we did not write. */
function expectNoForgedCommands(run: ActionRun): void {
  const forgedLines = run.stdout
    .split(/\r\n|\r|\n/)
    .filter(
      (line) => /^[\s\u0085]*::(add-mask|stop-commands)::(blue|pwned)/.test(line) || line.includes('##['),
    );
  expect(forgedLines).toEqual([]);
  for (const a of run.annotations) {
    expect(a.properties.title ?? '').not.toBe('INJECTED');
    expect(a.message).not.toMatch(/^forged|^indented/);
  }
  expect(run.masked).not.toContain('blue');
  for (const line of run.stdout.split(/\r\n|\r|\n/)) {
    expect(line).not.toMatch(/^[\s\u0085]*::warning title=INJECTED/);
    expect(line).not.toMatch(/^[\s\u0085]*::error title=INJECTED/);
    expect(line).not.toMatch(/^[\s\u0085]*::stop-commands::/);
  }
}

describe('detect-changed-service: file names from a pull request', () => {
  let root: string;
  let work: string;
  let base: string;
  let head: string;

  beforeAll(() => {
    root = tempDir('inject-detect-');
    ({ work } = originAndClone(root));
    base = commit(work, 'base', {
      '.github/sd-actions.yml':
        'services:\n  blue: { path: projects/blue }\n  green: { path: projects/green }\n',
      'projects/blue/app.js': '1',
      'projects/green/app.js': '1',
    });
    const files: Record<string, string> = {};
    for (const [i, payload] of PAYLOADS.entries()) files[`projects/blue/a${i}\n${payload}`] = 'x';
    files['projects/green/b\r##[error]cr'] = 'x';
    head = commit(work, 'evil names', files);
    git(work, 'push', '-q', 'origin', 'main');
  });

  afterAll(() => removeDir(root));

  test('are logged inert, and still detected', async () => {
    const run = await runAction('detect-changed-service', {
      workspace: work,
      event: 'push',
      sha: head,
      ref: 'refs/heads/main',
      payload: { before: base, after: head, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
      env: { RUNNER_DEBUG: '1' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs.services!)).toEqual(['blue', 'green']);
    expect(run.stdout).toContain(': :warning title=INJECTED::forged');
    expectNoForgedCommands(run);
  });
});

describe('status and promote: manifest values from a GitOps branch', () => {
  let root: string;
  let origin: string;
  let work: string;
  let registryDir: string;
  let c1: string;

  beforeAll(async () => {
    root = tempDir('inject-manifest-');
    registryDir = join(root, 'registry');
    const registry = new OciLayoutRegistry(registryDir, { baseDir: root });
    ({ origin, work } = originAndClone(root));
    c1 = commit(work, 'feat: first', {
      '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }
services:
  blue: { path: projects/blue }
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
`,
      'projects/blue/app.txt': 'blue 1\n',
    });
    git(work, 'push', '-q', 'origin', 'main');
    const image = buildImage({ files: [{ path: 'srv/blue.txt', data: Buffer.from('blue\n') }] });
    const digest = await pushImage(registry, 'blue', `sha-${c1.slice(0, 7)}`, image);
    const first = await runAction('promote', {
      actionDir: 'promote',
      workspace: work,
      event: 'workflow_dispatch',
      inputs: { service: 'blue', to: 'dev', digest, 'source-commit': c1 },
    });
    if (first.code !== 0) throw new Error(first.stdout);
    // An attacker with push access to the GitOps branch edits the manifest by hand.
    const edit = checkoutClone(origin, join(root, 'edit'), { ref: 'gitops/dev-auto-update' });
    const path = join(edit, 'release-manifests/dev.yaml');
    const text = readFileSync(path, 'utf8');
    const forged = text
      .replace(/promotedBy: .*\n/, '')
      .replace(
        /(\n {4}digest: )/,
        `\n    promotedBy: "ada\\n::warning title=INJECTED::forged\\n##[error]legacy"$1`,
      )
      .replace(/image: (.*)\n/, 'image: "$1\\n::warning title=INJECTED::forged ##[add-mask]blue"\n');
    // Both forged fields made it into the edit (the injected lines, not the original text).
    expect(forged.match(/::warning title=INJECTED::forged/g)).toHaveLength(2);
    writeFileSync(path, forged);
    git(edit, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qam', 'hand edit');
    git(edit, 'push', '-q', 'origin', 'HEAD:gitops/dev-auto-update');
  });

  afterAll(() => removeDir(root));

  test('status prints the matrix inert', async () => {
    const run = await runAction('status', { workspace: work, event: 'workflow_dispatch' });
    expect(run.stdout).toContain(': :warning title=INJECTED::forged');
    expect(run.stdout).toContain('## [error]legacy');
    expectNoForgedCommands(run);
  });

  test("promote prints the from entry's image inert (or refuses it), never a command", async () => {
    const run = await runAction('promote', {
      actionDir: 'promote',
      workspace: work,
      event: 'workflow_dispatch',
      inputs: { service: 'blue', to: 'staging', version: '1.0.0' },
    });
    // Whether the hand-edited image is refused (validated as strictly as an input) or carried,
    // the log shows it inert.
    if (run.code === 0) expect(run.stdout).toContain(': :warning title=INJECTED::forged ## [add-mask]blue@');
    expectNoForgedCommands(run);
  });
});

describe('config input containment (and the failure summary)', () => {
  let root: string;
  let work: string;

  beforeAll(() => {
    root = tempDir('inject-config-');
    ({ work } = originAndClone(root));
    commit(work, 'base', { '.github/sd-actions.yml': 'services:\n  blue: { path: projects/blue }\n' });
  });

  afterAll(() => removeDir(root));

  test.each(['/etc/passwd', '../origin.git/config'])(
    'config %j is refused before it is read, and the failure has a job summary',
    async (config) => {
      const run = await runAction('status', {
        workspace: work,
        event: 'workflow_dispatch',
        inputs: { config },
      });
      expect(run.code).toBe(1);
      expect(run.annotations).toHaveLength(1);
      expect(run.annotations[0]!.message).toBe(
        `Input "config": ${JSON.stringify(config)} is outside the workspace ${JSON.stringify(work)}; expected a path inside the repository, like .github/sd-actions.yml`,
      );
      expect(run.stdout).not.toContain('root:');
      expect(run.stdout).not.toContain('[core]');
      expect(run.summary).toContain(': refused');
      expect(run.summary).toContain('is outside the workspace');
      expect(run.summary).toContain('Changes recorded before the failure: none.');
    },
  );
});
