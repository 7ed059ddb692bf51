/**
 * Read an environment branch's ledger with git: ONE `git log` whose format prints each commit's
 * SHA, author, committer date, subject and only the `Sd-` trailers (git's own trailer parser),
 * NUL-separated — never one process per commit. Filtering by service happens inside git
 * (`--grep` on the `Sd-Service` trailer line), so history of other services costs git's scan
 * only, not our parsing. The events themselves are modelled, and validated, by
 * `parseLedger` in @sd-actions/core.
 */
import {
  LEDGER_TRAILERS,
  parseLedger,
  parseQuarantine,
  UserError,
  type Config,
  type EnvironmentConfig,
  type Ledger,
  type LedgerCommit,
  type QuarantineEntry,
} from '@sd-actions/core';
import { GitError, type Git, type ScratchRepo } from '@sd-actions/git';
import { manifestPathOf } from './manifest-update.js';

const FIELDS = [
  '%H',
  '%an',
  '%ae',
  '%cI',
  '%s',
  `%(trailers:${Object.values(LEDGER_TRAILERS)
    .map((k) => `key=${k}`)
    .join(',')},unfold)`,
];
/** tformat: every field ends in NUL, every commit in a newline after its last NUL. */
export const LEDGER_FORMAT = `tformat:${FIELDS.map((f) => `${f}%x00`).join('')}`;

export interface LedgerReadOptions {
  /** Only commits whose `Sd-Service` trailer names this service (matched by git). */
  service?: string;
  /**
   * Only commits that change this path (e.g. the manifest). Faster on long shared histories, but
   * it also drops records that change no file — verification records may be such commits — so
   * leave it unset when verifications matter.
   */
  path?: string;
  /** At most this many (newest) commits. */
  maxCount?: number;
}

const SERVICE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

/** The `git log` arguments for a ledger read (exported for the benchmark). */
export function ledgerLogArgs(ref: string, options: LedgerReadOptions = {}): string[] {
  const args = [
    '-c',
    'log.showSignature=false',
    'log',
    '--no-color',
    '--no-decorate',
    `--format=${LEDGER_FORMAT}`,
  ];
  if (options.service !== undefined) {
    if (!SERVICE.test(options.service))
      throw new UserError(`${JSON.stringify(options.service)} is not a service name`);
    // A basic regular expression over each message line; "." is the only special character a name may hold.
    args.push(
      '--regexp-ignore-case',
      `--grep=^${LEDGER_TRAILERS.service}:[[:space:]]*${options.service.replace(/\./g, '\\.')}[[:space:]]*$`,
    );
  }
  if (options.maxCount !== undefined) args.push(`--max-count=${options.maxCount}`);
  args.push('--end-of-options', ref);
  if (options.path !== undefined) args.push('--', options.path);
  return args;
}

/** Split `git log --format=LEDGER_FORMAT` output into commits. */
export function parseLedgerLog(output: string): LedgerCommit[] {
  const parts = output.split('\0');
  const commits: LedgerCommit[] = [];
  const n = FIELDS.length;
  for (let i = 0; i + n <= parts.length; i += n) {
    const sha = parts[i]!.replace(/^\n/, '');
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(sha))
      throw new Error(`unexpected git log output near ${JSON.stringify(sha.slice(0, 60))}`);
    commits.push({
      sha,
      authorName: parts[i + 1]!,
      authorEmail: parts[i + 2]!,
      date: parts[i + 3]!,
      subject: parts[i + 4]!,
      trailers: parts[i + 5]!,
    });
  }
  return commits;
}

/** The raw commits of `ref`, newest first (one git process). */
export async function readLedgerCommits(
  git: Git,
  ref: string,
  options: LedgerReadOptions = {},
): Promise<LedgerCommit[]> {
  const args = ledgerLogArgs(ref, options);
  const result = await git.exec(args);
  if (result.code !== 0) throw new GitError(args, result.code, result.stderr);
  return parseLedgerLog(result.stdout.toString('utf8'));
}

/** The ledger of one environment branch (for one service when `options.service` is set). */
export async function readLedger(
  git: Git,
  ref: string,
  environment: string,
  options: LedgerReadOptions = {},
): Promise<Ledger> {
  return parseLedger(await readLedgerCommits(git, ref, options), environment, options.service);
}

/**
 * Fetch a branch with its whole history into a scratch repository (whose own fetches take tips
 * with depth 1). Returns the tip, or undefined when the remote has no such branch.
 */
export async function fetchLedgerBranch(repo: ScratchRepo, branch: string): Promise<string | undefined> {
  const tracking = `refs/remotes/origin/${branch}`;
  const args = ['fetch', '--quiet', '--no-tags'];
  if (await repo.git.isShallow()) args.push('--unshallow');
  args.push('--end-of-options', 'origin', `+refs/heads/${branch}:${tracking}`);
  const result = await repo.git.exec(args);
  if (result.code !== 0) {
    if (/couldn't find remote ref/i.test(result.stderr)) return undefined;
    throw new GitError(args, result.code, result.stderr);
  }
  return repo.git.run(['rev-parse', '--verify', '--end-of-options', `${tracking}^{commit}`]);
}

/**
 * The quarantine recorded in an environment's manifest (empty when the branch, the file or the
 * section does not exist): what promote's `[quarantine]` rule and the status matrix read.
 */
export async function readQuarantine(
  repo: ScratchRepo,
  config: Config,
  env: EnvironmentConfig,
): Promise<QuarantineEntry[]> {
  const known = repo.knownTip(env.branch);
  const tip = known ? known.tip : await repo.fetchBranch(env.branch);
  if (!tip) return [];
  const path = manifestPathOf(config, env.name);
  const text = await repo.readFile(tip, path);
  return text === undefined ? [] : parseQuarantine(text, `${env.branch}:${path}`);
}
