/**
 * Build claims: the one compare-and-set we have, git ref creation on the remote, guarding a
 * build that a registry cannot guard (a registry tag has no compare-and-set).
 *
 * A claim is a ref `refs/sd-actions/builds/<service>/<build tag>` pointing at a tiny commit (the
 * empty tree) whose message records who holds it, since when, and — once the image is pushed —
 * its digest. Every write is a `git push --force-with-lease=<ref>:<expected>`:
 *   - create: an empty expected value, so the push lands only when the ref does not exist;
 *   - update (record the digest, take over a stale claim): expected = the commit we last read;
 *   - release: a deletion with the same lease.
 * The remote checks the expected old value under its ref lock, so of two runs racing for one
 * ref exactly one wins; the other learns which claim beat it by reading the ref again.
 *
 * An adapter: it returns outcomes and never writes runner commands; the caller logs and masks.
 */
import { rm } from 'node:fs/promises';
import { DEFAULT_IDENTITY, identityEnv, type Identity } from './auth.js';
import { Git } from './git.js';
import { openBareClone, type ScratchOptions } from './scratch.js';

export const CLAIM_PREFIX = 'refs/sd-actions/builds/';

const EMPTY_TREE_INPUT = '';
const LOCAL = 'refs/sd-claim/current';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** What a holder may say about itself: a run URL or a short name; never a line break or `::`. */
const HOLDER = /^[A-Za-z0-9][A-Za-z0-9._~:/?#@!$&'()*+,;=%-]{0,299}$/;

export interface ClaimRecord {
  /** Who holds the claim: the run's URL (or a name when not in a workflow). */
  holder: string;
  /** When it was claimed (or taken over). */
  at: Date;
  /** The digest the holder pushed, once it did. */
  digest?: string;
}

export interface Claim extends ClaimRecord {
  ref: string;
  /** The claim commit the ref points at: the lease for the next write. */
  commit: string;
}

/** Why a write did not land: someone else's claim is there (or moved), or we may not write. */
export type WriteOutcome =
  | { ok: true; claim: Claim }
  | { ok: false; reason: 'held'; claim?: Claim }
  | { ok: false; reason: 'refused'; detail: string };

export type ClaimStoreOptions = ScratchOptions;

/** The claim ref for one build tag of one service; undefined when git would not accept the name. */
export async function claimRef(git: Git, service: string, buildTag: string): Promise<string | undefined> {
  const ref = `${CLAIM_PREFIX}${service}/${buildTag}`;
  if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return undefined;
  return (await git.ok(['check-ref-format', ref])) ? ref : undefined;
}

/** The commit message of a claim; the record is read back from its trailers. */
export function formatRecord(ref: string, record: ClaimRecord): string {
  if (!HOLDER.test(record.holder))
    throw new Error(`build claim: holder ${JSON.stringify(record.holder)} is not valid`);
  if (record.digest !== undefined && !DIGEST.test(record.digest))
    throw new Error(`build claim: ${JSON.stringify(record.digest)} is not a digest`);
  const lines = [
    `sd-actions build claim ${ref.slice(CLAIM_PREFIX.length)}`,
    '',
    `Build-Claim-Holder: ${record.holder}`,
    `Build-Claim-At: ${record.at.toISOString()}`,
  ];
  if (record.digest) lines.push(`Build-Claim-Digest: ${record.digest}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The record in a claim commit's message. Values are checked as strictly as inputs: a claim is
 * written by anyone who can push, so an unreadable holder is shown as such, a bad time reads as
 * the epoch (so the claim counts as stale) and a malformed digest as none.
 */
export function parseRecord(message: string): ClaimRecord {
  const field = (name: string) =>
    new RegExp(`^Build-Claim-${name}: (.*)$`, 'm').exec(message)?.[1]?.trim() ?? '';
  const holder = field('Holder');
  const at = new Date(field('At'));
  const digest = field('Digest');
  return {
    holder: HOLDER.test(holder) ? holder : '(unreadable holder)',
    at: Number.isNaN(at.getTime()) ? new Date(0) : at,
    ...(DIGEST.test(digest) ? { digest } : {}),
  };
}

export class ClaimStore {
  private constructor(
    readonly dir: string,
    private readonly git: Git,
    private readonly identity: Identity,
  ) {}

  static async open(options: ClaimStoreOptions): Promise<ClaimStore> {
    const { dir, git } = await openBareClone('sd-claim-', options);
    return new ClaimStore(dir, git, options.identity ?? DEFAULT_IDENTITY);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The claim as the remote holds it now; undefined when there is none. Throws when unreadable. */
  async read(ref: string): Promise<Claim | undefined> {
    const fetched = await this.git.exec([
      'fetch',
      '--quiet',
      '--no-tags',
      '--no-write-fetch-head',
      'origin',
      `+${ref}:${LOCAL}`,
    ]);
    if (fetched.code !== 0) {
      if (/couldn't find remote ref/i.test(fetched.stderr)) return undefined;
      throw new Error(`could not read ${ref}: ${lastLines(fetched.stderr)}`);
    }
    const commit = await this.git.run(['rev-parse', '--verify', `${LOCAL}^{commit}`]);
    const message = await this.git.run(['log', '-1', '--format=%B', commit]);
    return { ref, commit, ...parseRecord(message) };
  }

  /** Claim `ref` when nobody has: lands only if the ref does not exist on the remote. */
  async create(ref: string, record: ClaimRecord): Promise<WriteOutcome> {
    return this.write(ref, '', record);
  }

  /** Replace the claim at `ref` if it is still the commit `lease` (record a digest, take over). */
  async update(ref: string, lease: string, record: ClaimRecord): Promise<WriteOutcome> {
    return this.write(ref, lease, record);
  }

  /** Delete the claim if it is still the commit `lease`; true when it was deleted (or already gone). */
  async release(ref: string, lease: string): Promise<boolean> {
    const pushed = await this.git.exec([
      'push',
      '--porcelain',
      `--force-with-lease=${ref}:${lease}`,
      'origin',
      `:${ref}`,
    ]);
    if (pushed.code === 0) return true;
    const now = await this.read(ref).catch(() => undefined);
    return now === undefined;
  }

  private async write(ref: string, lease: string, record: ClaimRecord): Promise<WriteOutcome> {
    const commit = await this.commit(ref, record);
    const pushed = await this.git.exec([
      'push',
      '--porcelain',
      `--force-with-lease=${ref}:${lease}`,
      'origin',
      `${commit}:${ref}`,
    ]);
    if (pushed.code === 0) return { ok: true, claim: { ref, commit, ...record } };
    // Lost the race, or not allowed to write? Read the ref: a claim other than the one we
    // expected means the former (whatever git said); otherwise the push was refused.
    let now: Claim | undefined;
    try {
      now = await this.read(ref);
    } catch {
      return { ok: false, reason: 'refused', detail: lastLines(pushed.stderr) };
    }
    if (now && now.commit !== lease) return { ok: false, reason: 'held', claim: now };
    if (!now && lease !== '') return { ok: false, reason: 'held' };
    return { ok: false, reason: 'refused', detail: lastLines(pushed.stderr) };
  }

  private async commit(ref: string, record: ClaimRecord): Promise<string> {
    const tree = await this.git.run(['mktree'], EMPTY_TREE_INPUT);
    const when = `${Math.floor(record.at.getTime() / 1000)} +0000`;
    return this.git
      .withEnv({ ...identityEnv(this.identity), GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when })
      .run(['commit-tree', tree], formatRecord(ref, record));
  }
}

function lastLines(stderr: string): string {
  return stderr.trim().split('\n').slice(-2).join(' / ') || 'no detail from git';
}
