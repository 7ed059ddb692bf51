/**
 * Inside GitHub Actions (GITHUB_ACTIONS=true) a workspace-local oci-layout registry — the embedded
 * default — is refused at load, before anything runs: each job has its own workspace, so the next
 * job's promotion would not find the image. Outside (tests, the demo) it stays the default.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runAction, tempDir, writeFiles } from '@sd-actions/testkit';

let root: string;
beforeAll(() => {
  root = tempDir('shared-registry-');
});
afterAll(() => removeDir(root));

function workspace(name: string, config: string): string {
  const ws = join(root, name);
  writeFiles(ws, { '.github/sd-actions.yml': config, 'blue/main.go': 'package main\n' });
  return ws;
}

test.each([
  [
    'the default (no registry key)',
    'services:\n  blue: { path: blue }\n',
    /\(the default when registry is not set\)/,
  ],
  [
    'an explicit workspace directory',
    'registry: { type: oci-layout, url: build/registry }\nservices:\n  blue: { path: blue }\n',
    /"build\/registry"/,
  ],
])('build-once-tag refuses %s inside GitHub Actions, running nothing', async (_name, config, detail) => {
  const ws = workspace(_name.replace(/\W+/g, '-'), config);
  const marker = join(ws, 'built');
  const run = await runAction('build-once-tag', {
    workspace: ws,
    inputs: { service: 'blue', 'build-command': `touch ${JSON.stringify(marker)}` },
    sha: 'a'.repeat(40),
    env: { GITHUB_ACTIONS: 'true' },
  });
  expect(run.code).not.toBe(0);
  const error = run.annotations.find((a) => a.level === 'error')!;
  expect(error.message).toMatch(
    /^\.github\/sd-actions\.yml: registry: oci-layout at .* is a directory in this job's workspace/,
  );
  expect(error.message).toMatch(detail);
  expect(error.message).toMatch(
    /Configure a real registry in the config, e\.g\. `registry: \{ type: oci, url: ghcr\.io\/<owner> \}`/,
  );
  expect(error.message).toMatch(/type: ecr/);
  expect(existsSync(marker)).toBe(false);
});

test('an oci-layout outside the workspace (a shared disk on a self-hosted runner) is allowed', async () => {
  const shared = join(root, 'shared-disk');
  const ws = workspace(
    'self-hosted',
    `registry: { type: oci-layout, url: ${shared} }\nservices:\n  blue: { path: blue }\n`,
  );
  const run = await runAction('registry-login', { workspace: ws, env: { GITHUB_ACTIONS: 'true' } });
  expect(run.code).toBe(0);
  expect(run.outputs['logged-in']).toBe('false');
});
