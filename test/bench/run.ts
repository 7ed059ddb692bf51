/**
 * Run every benchmark under test/bench/ one after another: `npm run bench [-- <args>]`.
 *
 * A benchmark is a *.ts file here other than this runner and helpers (files starting with `_` or
 * ending in `.helpers.ts`/`.util.ts`). Each runs as its own `node --import tsx <file>` process,
 * never concurrently (they measure wall time), with its output streamed as it comes. Arguments
 * after `--` are passed to every benchmark (e.g. `--reps=5`). The exit code is non-zero when any
 * benchmark failed; the others still run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const here = import.meta.dirname;
const self = basename(import.meta.filename);
const isHelper = (name: string) => name.startsWith('_') || /\.(helpers?|utils?)\.ts$/.test(name);

const benches = readdirSync(here)
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && name !== self && !isHelper(name))
  .sort();
const args = process.argv.slice(2);

const failed: string[] = [];
for (const name of benches) {
  console.log(`\n=== ${name} ${'='.repeat(Math.max(0, 72 - name.length))}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(here, name), ...args], {
    stdio: 'inherit',
  });
  const status = result.error
    ? result.error.message
    : result.signal
      ? `killed by ${result.signal}`
      : result.status;
  if (status !== 0) failed.push(`${name} (${status})`);
  console.log(
    `=== ${name}: ${status === 0 ? 'done' : `FAILED: ${status}`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
console.log(
  `\n${benches.length - failed.length} of ${benches.length} benchmarks ran${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
process.exit(failed.length ? 1 : 0);
