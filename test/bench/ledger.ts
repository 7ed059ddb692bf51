/**
 * Benchmark: reading an environment branch's ledger and choosing a rollback target, as history
 * grows (1,000 and 10,000 commits by default), against a bare `git log` in the same run.
 *
 *   node --import tsx test/bench/ledger.ts [--reps=7] [--sizes=1000,10000] [--services=20] [--fresh]
 *
 * The branch is generated with `git fast-import` (cached under os.tmpdir(), keyed by the
 * parameters): --services services promoted in turn, each promotion followed by a verification
 * record that changes no file (healthy, every fifth unhealthy), as the production branch of a
 * busy monorepo would look. Measured, interleaved, --reps times each (median reported):
 *  - floor: `git log --format=%H <branch>` (one process; what any history read costs at least);
 *  - raw: `git log` with the ledger's format (trailer keys), no parsing;
 *  - ledger (all): readLedger of every service (one git log + parseLedger);
 *  - ledger (blue): readLedger filtered to one service by git (--grep);
 *  - target (blue): readLedger(blue) + planRollback, the whole target selection.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { planRollback, promotionMessage } from '@sd-actions/core';
import { Git } from '@sd-actions/git';
import { LEDGER_FORMAT, readLedger } from '@sd-actions/gitops';
import { GIT_ENV } from '@sd-actions/testkit';

function option(name: string, fallback: string): string {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}
const REPS = Number(option('reps', '7'));
const SIZES = option('sizes', '1000,10000').split(',').map(Number);
const SERVICES = Number(option('services', '20'));
const FRESH = process.argv.includes('--fresh');
if (![REPS, SERVICES, ...SIZES].every((n) => Number.isInteger(n) && n > 0))
  throw new Error('--reps, --sizes and --services take positive integers');

const BRANCH = 'gitops/production-releases';
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);

/** A repository whose branch has `commits` commits: promotions, each followed by a verification. */
function generate(commits: number): string {
  const dir = join(tmpdir(), `sd-bench-ledger-v1-${commits}-${SERVICES}`);
  if (existsSync(join(dir, 'HEAD')) && !FRESH) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('git', ['init', '-q', '--bare', dir], { env: { ...process.env, ...GIT_ENV } });
  const chunks: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const versions = new Map<string, number>();
  let manifest = 'environment: production\nservices:\n';
  const t0 = 1_700_000_000;
  for (let i = 1; i <= commits; i++) {
    const pair = Math.floor((i - 1) / 2);
    const service = pair % SERVICES === 0 ? 'blue' : `svc${pair % SERVICES}`;
    const patch = versions.get(service) ?? 0;
    const version = `1.0.${patch}`;
    const digest = `sha256:${hex(pair + 1, 8).repeat(8)}`;
    let message: string;
    let file = '';
    if (i % 2 === 1) {
      versions.set(service, patch + 1);
      message = promotionMessage({
        service,
        environment: 'production',
        version,
        digest,
        image: `registry.example/${service}`,
        sourceCommit: hex(pair + 1, 8).repeat(5),
        fromEnvironment: 'staging',
        actor: 'alice',
        runUrl: `https://github.com/acme/app/actions/runs/${i}`,
      });
      manifest += `# ${service} ${version}\n`;
      file = `M 100644 inline release-manifests/production.yaml\n${data(manifest)}`;
    } else {
      const result = pair % 5 === 4 ? 'unhealthy' : 'healthy';
      const v = `1.0.${patch - 1}`;
      message = `verify(${service}): ${v} ${result} in production\n\nSd-Service: ${service}\nSd-Environment: production\nSd-Version: ${v}\nSd-Digest: ${digest}\nSd-Verification: ${result}\nSd-Run-Url: https://github.com/acme/app/actions/runs/${i}\n`;
    }
    chunks.push(
      `commit refs/heads/${BRANCH}\nmark :${i}\ncommitter Bench <bench@example.com> ${t0 + i * 60} +0000\n${data(message)}${i > 1 ? `from :${i - 1}\n` : ''}${file}\n`,
    );
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], {
    cwd: dir,
    input: chunks.join(''),
    env: { ...process.env, ...GIT_ENV },
  });
  if (result.status !== 0) throw new Error(`fast-import failed: ${result.stderr.toString()}`);
  return dir;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function gitLog(dir: string, format: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = spawnSync('git', ['log', `--format=${format}`, BRANCH], { cwd: dir, maxBuffer: 1 << 30 });
    if (r.status === 0) resolve();
    else reject(new Error(r.stderr.toString()));
  });
}

async function main(): Promise<void> {
  console.log(`ledger read and rollback target selection; ${SERVICES} services; median of ${REPS}`);
  const rows: string[][] = [['commits', 'measure', 'ms', '× floor', 'events']];
  for (const size of SIZES) {
    const dir = generate(size);
    const git = new Git(dir);
    let events = { all: 0, blue: 0 };
    const measures: [string, () => Promise<unknown>][] = [
      ['floor: git log --format=%H', () => gitLog(dir, '%H')],
      ['raw: git log, ledger format', () => gitLog(dir, LEDGER_FORMAT)],
      [
        'ledger (all services)',
        async () => (events.all = (await readLedger(git, BRANCH, 'production')).events.length),
      ],
      [
        'ledger (blue, git --grep)',
        async () =>
          (events.blue = (await readLedger(git, BRANCH, 'production', { service: 'blue' })).events.length),
      ],
      [
        'target (blue): read + planRollback',
        async () => {
          const ledger = await readLedger(git, BRANCH, 'production', { service: 'blue' });
          const newest = ledger.events.find((e) => e.kind === 'promotion');
          if (!newest || newest.kind !== 'promotion') throw new Error('no promotion of blue');
          const decision = planRollback({
            service: 'blue',
            environment: 'production',
            current: { version: newest.version, digest: newest.digest },
            ledger,
            quarantine: [],
            reason: 'manual',
            cooldownMs: 30 * 60e3,
            allowUnverified: false,
            now: new Date(),
          });
          if (decision.kind !== 'rollback')
            throw new Error(`unexpected decision: ${JSON.stringify(decision)}`);
        },
      ],
    ];
    const samples = measures.map(() => [] as number[]);
    await measures[0]![1](); // warm the page cache
    for (let r = 0; r < REPS; r++)
      for (const [i, [, fn]] of measures.entries()) samples[i]!.push(await time(fn));
    const floor = median(samples[0]!);
    for (const [i, [name]] of measures.entries()) {
      const ms = median(samples[i]!);
      const n = name.startsWith('ledger (all')
        ? String(events.all)
        : name.includes('blue')
          ? String(events.blue)
          : '';
      rows.push([String(size), name, ms.toFixed(1), (ms / floor).toFixed(2), n]);
    }
    events = { all: 0, blue: 0 };
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows)
    console.log(
      row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '),
    );
}

await main();
