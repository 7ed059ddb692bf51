/**
 * npm run demo — a local release rehearsal on the embedded defaults. It builds a sandbox (a
 * sample monorepo, a bare origin) and drives the real bundled actions exactly as the runner
 * would, printing what each step decided.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';
import { commit, git, originAndClone, runAction, type ActionRun } from '@sd-actions/sandbox';
import { sampleFiles } from './sample.js';

const started = Date.now();
const dirArg = process.argv.indexOf('--dir');
const root = dirArg > 0 && process.argv[dirArg + 1] ? process.argv[dirArg + 1]! : join(tmpdir(), `sd-actions-demo-${Date.now()}`);
mkdirSync(root, { recursive: true });
const { origin, work } = originAndClone(root);

function step(title: string): void {
  console.log(`\n━━ ${title}`);
}

function check(run: ActionRun, what: string): ActionRun {
  if (run.code !== 0) {
    console.error(run.stdout, run.stderr);
    throw new Error(`${what} failed (exit ${run.code})`);
  }
  return run;
}

async function push(message: string, files: Record<string, string | null>): Promise<void> {
  const before = git(work, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}').trim() || '0'.repeat(40);
  const after = commit(work, message, files);
  git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  const run = check(
    await runAction('detect-changed-service', {
      workspace: work,
      event: 'push',
      sha: after,
      ref: 'refs/heads/main',
      payload: { before, after, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
    }),
    'detect-changed-service',
  );
  const reasons = JSON.parse(run.outputs.reasons ?? '{}') as Record<string, string>;
  console.log(`push ${after.slice(0, 7)} "${message}" → changed: ${run.outputs.services}`);
  for (const [service, why] of Object.entries(reasons)) console.log(`   ${service.padEnd(8)} ${why}`);
  console.log(`   matrix: ${run.outputs.matrix}`);
}

async function main(): Promise<void> {
  step('1. The first push of main: every service is new');
  const after = commit(work, 'chore: sample monorepo', sampleFiles());
  git(work, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  const first = check(
    await runAction('detect-changed-service', {
      workspace: work,
      event: 'push',
      sha: after,
      ref: 'refs/heads/main',
      payload: { before: '0'.repeat(40), after, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
    }),
    'detect-changed-service',
  );
  console.log(`changed: ${first.outputs.services}\n   matrix: ${first.outputs.matrix}`);

  step('2. A change to blue only');
  await push('feat(blue): new payment method', { 'projects/blue/server.js': "export const name = 'blue'; // v2\n" });

  step('3. A change to a library blue depends on');
  await push('fix(payments): rounding', { 'libs/payments/pay.js': 'export const pay = (n) => Math.round(n);\n' });

  step('4. A change to the shared library: every service');
  await push('chore(common): quieter logs', { 'libs/common/log.js': 'export const log = () => {};\n' });

  step('5. Docs only: nothing to release');
  await push('docs: readme', { 'README.md': '# sample monorepo\n\nNow with docs.\n' });

  console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s. Sandbox: ${root}`);
  console.log(`  origin: ${origin}\n  clone:  ${work}   (try: git -C ${work} log --oneline)`);
}

await main();
