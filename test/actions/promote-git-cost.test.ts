/**
 * promote's fixed git cost (issue 8, the race margin): every git process a run starts is paid again
 * by each of the runs in a burst. A from-build promotion into an entry environment whose branch
 * exists is counted through a `git` on PATH that logs each start and runs the real git; the bound
 * is the work the promotion needs (list the branches, fetch them and read the manifests once,
 * then one round of commit, push and diff), not a timing.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { OciLayoutRegistry } from '@sd-actions/registry';
import {
  buildImage,
  commit,
  git,
  originAndClone,
  pushImage,
  removeDir,
  runAction,
  tempDir,
} from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
let registryDir: string;
let registry: OciLayoutRegistry;
let source: string;
let bin: string;
let logFile: string;

beforeAll(() => {
  root = tempDir('promote-cost-');
  registryDir = join(root, 'registry');
  registry = new OciLayoutRegistry(registryDir, { baseDir: root });
  ({ origin, work } = originAndClone(root));
  source = commit(work, 'config', {
    '.github/sd-actions.yml': `registry: { type: oci-layout, url: ${registryDir} }\nservices:\n  alpha: { path: projects/alpha }\n  beta: { path: projects/beta }\n`,
  });
  git(work, 'push', '-q', 'origin', 'main');
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  bin = join(root, 'bin');
  logFile = join(root, 'git-starts.log');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'git'),
    `#!/bin/sh\nprintf '%s\\n' "$*" | head -n 1 >> "$GIT_STARTS_LOG"\nexec '${realGit}' "$@"\n`,
  );
  chmodSync(join(bin, 'git'), 0o755);
});

afterAll(() => removeDir(root));

const promote = async (service: string, counted = false) => {
  const digest = await pushImage(
    registry,
    service,
    `sha-${source.slice(0, 7)}`,
    buildImage({ files: [{ path: 'x', data: Buffer.from(service) }] }),
  );
  writeFileSync(logFile, '');
  const run = await runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    inputs: { service, to: 'dev', digest, 'source-commit': source },
    event: 'workflow_dispatch',
    env: counted ? { PATH: `${bin}:${process.env.PATH}`, GIT_STARTS_LOG: logFile } : {},
  });
  if (run.code !== 0)
    throw new Error(`promote ${service} failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  return { run, digest, starts: readFileSync(logFile, 'utf8').split('\n').filter(Boolean) };
};

test('a from-build promotion into dev starts at most 9 git processes, and reports as before', async () => {
  await promote('alpha');
  const { run, digest, starts } = await promote('beta', true);
  // config --get (the workspace's remote), init, ls-remote --heads (also the round's first
  // look), fetch + cat-file of every environment branch, then one round on the tip already
  // fetched: ls-tree, fast-import, push, and the diff for the log.
  if (starts.length > 9) throw new Error(`${starts.length} git processes:\n${starts.join('\n')}`);
  expect(starts.filter((s) => s.startsWith('init'))).toHaveLength(1);
  expect(starts.filter((s) => s.startsWith('ls-remote'))).toHaveLength(1);

  const branch = 'gitops/dev-auto-update';
  const tip = git(origin, 'rev-parse', branch);
  expect(run.outputs).toMatchObject({ changed: 'true', commit: tip, digest, from: 'build' });
  expect(git(origin, 'log', '-1', '--format=%(trailers:key=Sd-Service,valueonly)', tip)).toBe('beta');
  // The summary's matrix shows the branch as it is after the push, read without another fetch.
  const matrix = run.summary.slice(run.summary.indexOf('#### What runs where'));
  expect(matrix).toMatch(/\| alpha \| sha-[0-9a-f]{7}/);
  expect(matrix).toMatch(/\| beta \| \*\*sha-[0-9a-f]{7}/);
});
