/**
 * Commit an edit to a remote branch, combining with other runs racing for the same branch
 * ("flat combining" over git), so a burst of N writers costs a few rounds instead of O(N²).
 *
 * Protocol (every ref name below is under the remote's `refs/sd-actions/pending/<branch>/`):
 *
 * 1. An attempt looks at the remote (one `ls-remote`: the branch tip and the pending refs, by
 *    name only), runs the caller's edit on the tip (the edit decides what is a conflict, exactly
 *    as with `updateBranch`) and commits it. Its message carries an `Sd-Change-Id` trailer,
 *    unique to this run, which starts with the time the run began: every run orders the pending
 *    refs the same way, oldest first, from their names alone.
 * 2. One run lands at a time: the owner of the oldest fresh pending edit (or any run, when none is
 *    pending). It fetches the pending commits and re-applies them on top of its own commit, one
 *    commit each with the pending commit's message and author: only through `replay`, which
 *    returns the files the owner would land on the current tip, or undefined when that is not
 *    certain (the owner then lands it itself). Root commits and pending refs older than
 *    `staleMs` are never landed.
 * 3. One atomic push moves the branch (fast-forward only: never forced) and deletes, with a lease,
 *    every pending ref it landed (and its own, if published): a pending edit lands exactly once,
 *    because its ref can be deleted only once.
 * 4. A run that is not first in line, or whose push lost, publishes its commit as its pending ref
 *    (a new ref: never conflicts) and watches with one `ls-remote` per look (no objects move).
 *    Its ref gone, it looks for its change id among the commits made since it published: found,
 *    it is done (and reports that commit); not found (a stale ref cleaned), it carries on alone.
 * 5. Giving up (a conflict found by the edit, too many rounds) withdraws the pending ref first,
 *    so no other run lands an edit whose owner reported failure. A run that is killed leaves its
 *    ref: other runs may land it while it is fresh, and delete it unlanded once it is stale.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '@sd-actions/core';
import { redactUrl } from './auth.js';
import { GitError } from './git.js';
import type { ScratchRepo } from './scratch.js';
import {
  lostPushDelay,
  DEFAULT_RETRY,
  type BranchUpdate,
  type UpdateBranchOptions,
} from './update-branch.js';

export const PENDING_PREFIX = 'refs/sd-actions/pending';
export const CHANGE_ID_TRAILER = 'Sd-Change-Id';
/** The longest wait between two looks of a waiting run (a look is one cheap `ls-remote`). */
const WATCH_MAX_MS = 1000;
/** How far another runner's clock may be behind ours when it lands our edit. */
const CLOCK_MARGIN_MS = 120_000;
const LOCAL_PENDING = 'refs/sd-pending';
const REMOTE = 'origin';

/** Another run's edit, as published. */
export interface PendingEdit {
  /** The full message it would land with (trailers included). */
  message: string;
  /** The files it changed: their text at its base and in its commit (undefined: absent). */
  files: { path: string; base: string | undefined; theirs: string | undefined }[];
}

export interface CombineOptions {
  /**
   * The files `pending` lands on the current tip (`read` gives their text there), or undefined
   * when that may not be exactly what its owner would land (it is then left to its owner).
   */
  replay: (
    pending: PendingEdit,
    read: (path: string) => string | undefined,
  ) => Record<string, string> | undefined;
  /** Pending refs older than this are never landed, and are deleted (default 10 minutes). */
  staleMs?: number;
  /** The most pending edits landed in one push (default 100). */
  maxBatch?: number;
  /** Wall clock in ms (for staleness), injectable for tests. */
  clock?: () => number;
  /** This run's change id (default a random UUID). */
  changeId?: string;
}

interface PendingRef {
  ref: string;
  commit: string;
  parent: string;
  author: string;
  committedAt: number;
  message: string;
}

/** The message with the change id trailer appended to its trailer block. */
export function withChangeId(message: string, id: string): string {
  const body = message.replace(/\s+$/, '');
  const paragraphs = body.split(/\n\s*\n/);
  const last = paragraphs.length > 1 ? paragraphs[paragraphs.length - 1]! : '';
  const isTrailers = last !== '' && last.split('\n').every((l) => /^[A-Za-z0-9-]+:\s/.test(l));
  return `${body}${isTrailers ? '\n' : '\n\n'}${CHANGE_ID_TRAILER}: ${id}\n`;
}

function changeIdOf(message: string): string | undefined {
  const m = new RegExp(`^${CHANGE_ID_TRAILER}: (\\S+)$`, 'm').exec(message);
  return m?.[1];
}

export async function updateBranchCombining<T>(
  options: UpdateBranchOptions<T> & { combine: CombineOptions },
): Promise<BranchUpdate<T>> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = policy.now ?? (() => performance.now());
  const log = options.log ?? (() => undefined);
  const { repo, branch, combine } = options;
  const clock = combine.clock ?? Date.now;
  const staleMs = combine.staleMs ?? 10 * 60_000;
  const maxBatch = combine.maxBatch ?? 100;
  // The id starts with the time the run began: every run orders pending edits by their names
  // alone (one `ls-remote`, no objects), oldest first.
  const changeId = combine.changeId ?? `${clock()}-${randomUUID()}`;
  const remotePrefix = `${PENDING_PREFIX}/${branch}/`;
  const ownRef = `${remotePrefix}${changeId}`;
  const isFresh = (ref: string) => clock() - arrivalOf(ref) <= staleMs;
  /** Our published pending commit, while it may be on the remote. */
  let published: string | undefined;

  let lostOnTip = 0;
  let lastTip: string | undefined;
  let lastDetail = '';
  let losses = 0;
  /** The tip whose objects this repository has (beyond one fetched by the caller). */
  let fetchedTip: string | undefined;
  let looked: Look | undefined;

  /** When we first published (ms, our clock): a landing of our edit was committed after it. */
  let firstPublished: number | undefined;
  /**
   * The landed commit that carries our change id (and its parent), searching back from the tip:
   * first only the commits made since we published (less a margin for the lander's clock), then
   * the last 200.
   */
  const findLanded = async (): Promise<{ commit: string; parent: string } | undefined> => {
    const ranges: ({ depth: number } | { since: number })[] = [{ depth: 200 }];
    if (firstPublished !== undefined) ranges.unshift({ since: (firstPublished - CLOCK_MARGIN_MS) / 1000 });
    for (const range of ranges) {
      // A fetch by date can find nothing to fetch (a lander's clock far behind): look deeper.
      const commits = await repo.recentCommits(branch, range).catch((err: unknown) => {
        if ('depth' in range) throw err;
        return [];
      });
      // The deepest commit shows no parent (the shallow boundary): found there, look deeper.
      const found = commits.find((c) => changeIdOf(c.message) === changeId && c.parents.length > 0);
      if (found) return { commit: found.sha, parent: found.parents[0]! };
      if ('depth' in range && commits.length < range.depth) return undefined;
    }
    return undefined;
  };
  const landedResult = async (
    landed: { commit: string; parent: string },
    attempt: number,
    value: T,
  ): Promise<BranchUpdate<T>> => ({
    value,
    changed: true,
    commit: landed.commit,
    base: landed.parent,
    created: false,
    diff: await repo.diff(landed.parent, landed.commit),
    attempts: attempt,
  });
  /** Take our pending ref back; if it was gone, whether (and where) our edit landed. */
  const withdraw = async (): Promise<{ commit: string; parent: string } | undefined> => {
    if (!published) return undefined;
    const pushed = await pushRefs(repo, [`:${ownRef}`], [[ownRef, published]]);
    published = undefined;
    if (pushed.ok) return undefined;
    return findLanded();
  };
  let lastValue: { value: T } | undefined;
  const giveUp = async (error: unknown, attempt: number): Promise<BranchUpdate<T>> => {
    const landed = await withdraw().catch(() => undefined);
    if (landed && lastValue) {
      log(`another run landed this edit as ${landed.commit.slice(0, 12)} on ${branch}`);
      return landedResult(landed, attempt, lastValue.value);
    }
    throw error;
  };

  /** Publish our commit as our pending ref (a new ref: no race); failing that, carry on alone. */
  const publish = async (own: string) => {
    const out = await pushRefs(repo, [`${own}:${ownRef}`], []);
    if (out.ok) {
      published = own;
      firstPublished ??= Date.now(); // commit dates are wall-clock time, not the injected clock
    } else log(`could not publish the pending edit (${out.detail}); carrying on alone`);
  };
  /** Set when the runs ahead of us stopped landing: land everything ourselves. */
  let takeOver = false;
  /**
   * Watch our pending edit with one `ls-remote` per look (names only: no objects move), at
   * intervals of about the time our last round took, at most a second (on a busy machine a
   * round is long, and waiting a round after the landing leaves the CPU idle). Return (the look
   * kept in `looked`) when it is gone, when it is first in line, or when the branch did not move
   * for five looks (the run ahead is gone or stuck: take over). `behind`: an older edit was
   * pending, so the next landing most likely carries ours: the first look waits about a round.
   */
  const watch = async (roundMs: number, behind: boolean) => {
    const random = policy.random ?? Math.random;
    const round = Math.min(policy.maxMs, WATCH_MAX_MS, Math.max(100, roundMs));
    let seen: string | undefined;
    let still = 0;
    for (let look = 1; look <= policy.maxRounds; look++) {
      // The first look comes at once (the first in line lands without delay), or when a run behind
      // others expects the landing that carries its edit; later looks about one round apart.
      const factor = look > 1 ? 0.5 + random() : behind ? 1 + random() / 2 : random() / 4;
      await sleep(Math.round(factor * round));
      looked = await lookRemote(repo, branch);
      const line = looked.pending.filter((p) => p.ref === ownRef || isFresh(p.ref));
      if (!looked.pending.some((p) => p.ref === ownRef) || line[0]?.ref === ownRef) return;
      still = looked.tip === seen ? still + 1 : 0;
      seen = looked.tip;
      if (still >= 5) {
        takeOver = true;
        return;
      }
    }
    takeOver = true;
  };

  for (let attempt = 1; ; attempt++) {
    const started = now();
    // The first look may be the caller's listing of the branches (ScratchRepo.listBranches): it
    // shows the tip but no pending refs (they are not branches), so a first attempt assumes none
    // and pushes; losing, it publishes and looks like any other run.
    const listing = attempt === 1 ? repo.takeListing() : undefined;
    const look = looked ?? (listing ? lookIn(listing, branch) : await lookRemote(repo, branch));
    looked = undefined;
    if (published && !look.pending.some((p) => p.ref === ownRef)) {
      published = undefined;
      const landed = await findLanded();
      if (landed && lastValue) {
        log(
          `another run landed this edit as ${landed.commit.slice(0, 12)} on ${branch} (attempt ${attempt})`,
        );
        return landedResult(landed, attempt, lastValue.value);
      }
      log(`the pending edit on ${branch} was cleaned up unlanded; carrying on`);
    }
    if (attempt > 1) {
      if (look.tip !== lastTip) lostOnTip = 0;
      else if (lostOnTip >= policy.attempts)
        return giveUp(
          new UserError(
            `The push to branch ${JSON.stringify(branch)} kept being refused while the branch did not move: gave up after ${lostOnTip} attempts in a row (last: ${lastDetail}); nothing was pushed, re-run the job`,
          ),
          attempt,
        );
      if (attempt > policy.maxRounds)
        return giveUp(
          new UserError(
            `Branch ${JSON.stringify(branch)} kept moving: gave up after ${attempt - 1} attempts (last: ${lastDetail}); nothing was pushed, re-run the job`,
          ),
          attempt,
        );
    }
    // One run lands at a time: the owner of the oldest fresh pending edit (every run sees the
    // same names in the same order). The others publish theirs and watch, taking over only when
    // the branch stops moving.
    const queue = look.pending.filter((p) => p.ref === ownRef || isFresh(p.ref));
    const designated = !queue[0] || queue[0].ref === ownRef || takeOver || !look.tip;
    // The objects to build on: the tip (fetched only when this repository has not got it), and
    // to land others' edits with ours, every pending edit (with its parent).
    let tip = look.tip;
    let pending: PendingRef[] = [];
    if (designated && tip && look.pending.some((p) => p.ref !== ownRef)) {
      ({ tip, pending } = await fetchWithPending(repo, branch));
      fetchedTip = tip;
    } else if (tip && tip !== fetchedTip && tip !== repo.knownTip(branch)?.tip) {
      tip = await repo.fetchBranch(branch);
      fetchedTip = tip;
    }
    let result;
    try {
      result = await options.edit({
        tip,
        attempt,
        read: async (path) => (tip ? repo.readFile(tip, path) : undefined),
      });
    } catch (err) {
      return giveUp(err, attempt);
    }
    lastValue = { value: result.value };
    const unchanged = async (): Promise<BranchUpdate<T>> => {
      // Our own edit may already be on the tip (another run landed it): report that commit.
      const landed = published ? await withdraw() : undefined;
      if (landed) return landedResult(landed, attempt, result.value);
      return { value: result.value, changed: false, base: tip, created: false, diff: '', attempts: attempt };
    };
    if (!result.files) return unchanged();
    const own = await repo.commitFiles(tip, result.files, withChangeId(result.message, changeId), {
      allowEmpty: result.allowEmpty,
    });
    if (!own) return unchanged();
    const done = async () => ({
      value: result.value,
      changed: true,
      commit: own,
      base: tip,
      created: !tip,
      diff: await repo.diff(tip, own),
      attempts: attempt,
    });
    if (options.dryRun) return done();

    if (!designated && tip) {
      if (!published) await publish(own);
      if (published) {
        log(`${queue.length} edit(s) pending on ${branch}; published this one for the next landing`);
        await watch(now() - started, true);
        continue;
      }
    }
    takeOver = false;
    // Everyone else's fresh pending edits, on top of ours.
    const fresh: PendingRef[] = [];
    const stale: PendingRef[] = [];
    for (const p of pending) {
      if (p.ref === ownRef) continue;
      if (clock() - p.committedAt * 1000 > staleMs) stale.push(p);
      else if (p.parent && tip && fresh.length < maxBatch) fresh.push(p);
    }
    const chain = tip ? await combineOnto(repo, tip, own, result.files, fresh, combine.replay) : undefined;
    const head = chain?.head ?? own;
    const landing = chain?.landed ?? [];
    const deletes = [...landing, ...stale];
    const refspecs = [`${head}:refs/heads/${branch}`, ...deletes.map((p) => `:${p.ref}`)];
    const leases: [string, string][] = deletes.map((p) => [p.ref, p.commit]);
    if (published) {
      refspecs.push(`:${ownRef}`);
      leases.push([ownRef, published]);
    }
    const pushed = await pushRefs(repo, refspecs, leases);
    if (pushed.ok) {
      repo.noteTip(branch, head);
      fetchedTip = head;
      published = undefined;
      const others = landing.length ? `, with ${landing.length} other pending edit(s)` : '';
      log(`pushed ${own.slice(0, 12)} to ${branch}${attempt > 1 ? ` (attempt ${attempt})` : ''}${others}`);
      return done();
    }
    if (!pushed.retryable)
      return giveUp(
        new UserError(`The push to branch ${JSON.stringify(branch)} was refused: ${pushed.detail}`),
        attempt,
      );
    // Lost: publish our edit so the next run to land anything lands it too.
    if (!published && tip) await publish(own);
    lostOnTip = tip === lastTip ? lostOnTip + 1 : 1;
    lastTip = tip;
    lastDetail = pushed.detail;
    losses++;
    const delay = lostPushDelay(policy, lostOnTip, now() - started, losses);
    if (!published) {
      log(`branch ${branch} moved (${pushed.detail}); trying again in ${delay} ms`);
      await sleep(delay);
      continue;
    }
    log(`branch ${branch} moved (${pushed.detail}); published the edit for the next landing`);
    await watch(
      now() - started,
      // Behind: an older edit was pending (its owner lands next); a run first in line whose
      // landing lost looks again at once.
      look.pending.some((p) => p.ref !== ownRef && isFresh(p.ref) && byArrival(p, { ref: ownRef }) < 0),
    );
  }
}

/** What one `ls-remote` shows of a branch: its tip and its pending refs, oldest first. */
interface Look {
  tip: string | undefined;
  pending: { ref: string; commit: string }[];
}

/**
 * When a pending ref's run began (its name starts with that time in ms); 0 when it does not say
 * (an older version's ref): never first in line, it is landed by whoever lands next.
 */
function arrivalOf(ref: string): number {
  const m = /\/(\d{13})-[^/]*$/.exec(ref);
  return m ? Number(m[1]) : 0;
}

const byArrival = (a: { ref: string }, b: { ref: string }) =>
  arrivalOf(a.ref) - arrivalOf(b.ref) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0);

/**
 * The branch tip and its pending refs by name, with one `ls-remote` (no objects): the cheap look
 * a waiting run takes. `ls-remote` cannot narrow what the remote lists to a prefix, so it lists
 * every ref and this keeps the branch and its pending refs.
 */
async function lookRemote(repo: ScratchRepo, branch: string): Promise<Look> {
  const head = `refs/heads/${branch}`;
  const listed = await repo.git.exec([
    'ls-remote',
    '--end-of-options',
    REMOTE,
    head,
    `${PENDING_PREFIX}/${branch}/*`,
  ]);
  if (listed.code !== 0)
    throw new UserError(
      `Could not list branch ${JSON.stringify(branch)} on ${redactUrl(repo.url)}: ${redactUrl(listed.stderr.trim().split('\n').slice(-3).join(' / '))}`,
    );
  const listing = new Map<string, string>();
  for (const line of listed.stdout.toString('utf8').split('\n')) {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64})\t(.+)$/.exec(line);
    if (m) listing.set(m[2]!, m[1]!);
  }
  return lookIn(listing, branch);
}

/** The branch tip and its pending refs (oldest first) in a listing of the remote's refs. */
function lookIn(listing: ReadonlyMap<string, string>, branch: string): Look {
  const prefix = `${PENDING_PREFIX}/${branch}/`;
  const pending: Look['pending'] = [];
  for (const [ref, commit] of listing)
    if (ref.startsWith(prefix) && !ref.slice(prefix.length).includes('/')) pending.push({ ref, commit });
  pending.sort(byArrival);
  return { tip: listing.get(`refs/heads/${branch}`), pending };
}

/** Fetch the branch tip (depth 2) and every pending ref for it (each with its parent). */
async function fetchWithPending(
  repo: ScratchRepo,
  branch: string,
): Promise<{ tip: string | undefined; pending: PendingRef[] }> {
  const local = `${LOCAL_PENDING}/${branch}/`;
  const result = await repo.git.exec([
    'fetch',
    '--quiet',
    '--no-tags',
    '--prune',
    '--depth=2',
    '--end-of-options',
    REMOTE,
    `+refs/heads/${branch}:refs/remotes/${REMOTE}/${branch}`,
    `+${PENDING_PREFIX}/${branch}/*:${local}*`,
  ]);
  let tip: string | undefined;
  if (result.code !== 0) {
    if (!/couldn't find remote ref/i.test(result.stderr))
      throw new UserError(
        `Could not fetch branch ${JSON.stringify(branch)} from ${redactUrl(repo.url)}: ${redactUrl(result.stderr.trim().split('\n').slice(-3).join(' / '))}`,
      );
    // No branch yet (only the branch's refspec can fail: the pending one is a pattern): nothing
    // can be pending on it that we could land.
    repo.noteTip(branch, undefined);
    return { tip: undefined, pending: [] };
  }
  // Nothing pending (FETCH_HEAD holds only the branch): its tip is all there is to read.
  const fetchHead = (await readFile(join(repo.dir, 'FETCH_HEAD'), 'utf8')).split('\n').filter(Boolean);
  const only = fetchHead.length === 1 ? /^([0-9a-f]{40}|[0-9a-f]{64})\t/.exec(fetchHead[0]!) : null;
  if (only) {
    repo.noteTip(branch, only[1]);
    return { tip: only[1], pending: [] };
  }
  const listed = await repo.git.exec([
    'for-each-ref',
    '--format=%(objectname)%00%(parent)%00%(authorname) %(authoremail) %(authordate:raw)%00%(committerdate:unix)%00%(refname)%00%(contents)%00',
    `refs/remotes/${REMOTE}/${branch}`,
    local,
  ]);
  if (listed.code !== 0) throw new GitError(['for-each-ref'], listed.code, listed.stderr);
  const pending: PendingRef[] = [];
  for (const record of listed.stdout.toString('utf8').split('\0\n')) {
    const [commit, parent, author, committed, ref, message] = record.split('\0');
    if (!commit || !ref || message === undefined) continue;
    if (ref === `refs/remotes/${REMOTE}/${branch}`) {
      tip = commit;
      continue;
    }
    if (!ref.startsWith(local)) continue;
    pending.push({
      ref: `${PENDING_PREFIX}/${branch}/${ref.slice(local.length)}`,
      commit,
      // A merge (two parents) is nothing we publish: treated like a root commit, never landed.
      parent: /^[0-9a-f]+$/.test(parent ?? '') ? parent! : '',
      author: author ?? '',
      committedAt: Number(committed) || 0,
      message,
    });
  }
  pending.sort(byArrival);
  repo.noteTip(branch, tip);
  return { tip, pending };
}

/**
 * Re-apply pending edits on top of `own` (built on `tip`), one commit each; returns the new head
 * and the pending refs it carries (none: undefined).
 */
async function combineOnto(
  repo: ScratchRepo,
  tip: string,
  own: string,
  ownFiles: Record<string, string>,
  pending: PendingRef[],
  replay: CombineOptions['replay'],
): Promise<{ head: string; landed: PendingRef[] } | undefined> {
  if (pending.length === 0) return undefined;
  // The paths each pending commit changed: one process for all of them.
  const log = await repo.git.exec([
    'log',
    '--no-walk=unsorted',
    '--name-only',
    '--no-renames',
    '-z',
    '--format=%x01%H',
    '--end-of-options',
    ...pending.map((p) => p.commit),
  ]);
  if (log.code !== 0) throw new GitError(['log', '--no-walk'], log.code, log.stderr);
  const paths = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const token of log.stdout.toString('utf8').split('\0')) {
    if (token.startsWith('\x01')) paths.set(token.slice(1).trim(), (current = []));
    else if (current && token.replace(/^\n/, '') !== '') current.push(token.replace(/^\n/, ''));
  }
  // Their texts at base and in the commit, and at the tip: one process.
  const specs: { commit: string; path: string }[] = [];
  for (const p of pending)
    for (const path of paths.get(p.commit) ?? [])
      specs.push({ commit: p.parent, path }, { commit: p.commit, path });
  const allPaths = new Set(pending.flatMap((p) => paths.get(p.commit) ?? []));
  for (const path of allPaths) specs.push({ commit: tip, path });
  const read = await repo.readFiles(specs, { notAFile: 'absent' });
  const texts = new Map<string, string>();
  specs.forEach(({ commit, path }, i) => {
    if (read[i] !== undefined) texts.set(`${commit}:${path}`, read[i]);
  });
  // The files as they stand on our commit, updated as edits are stacked.
  const state = new Map<string, string | undefined>();
  for (const path of allPaths) state.set(path, texts.get(`${tip}:${path}`));
  for (const [path, text] of Object.entries(ownFiles)) state.set(path, text);

  const landed: { ref: PendingRef; files: Record<string, string> }[] = [];
  for (const p of pending) {
    const changed = paths.get(p.commit);
    if (!changed || changed.length === 0) continue;
    const files = replay(
      {
        message: p.message,
        files: changed.map((path) => ({
          path,
          base: texts.get(`${p.parent}:${path}`),
          theirs: texts.get(`${p.commit}:${path}`),
        })),
      },
      (path) => (state.has(path) ? state.get(path) : undefined),
    );
    if (!files || Object.keys(files).length === 0) continue;
    if (Object.keys(files).some((path) => !state.has(path))) continue;
    if (Object.entries(files).every(([path, text]) => state.get(path) === text)) continue;
    for (const [path, text] of Object.entries(files)) state.set(path, text);
    landed.push({ ref: p, files });
  }
  if (landed.length === 0) return undefined;

  // File modes as on the tip (a replayed file keeps its mode).
  const modes = new Map<string, string>();
  const listed = await repo.git.exec(['ls-tree', '-z', '--end-of-options', tip, '--', ...allPaths]);
  for (const record of listed.stdout.toString('utf8').split('\0')) {
    const m = /^(\d+) \w+ [0-9a-f]+\t(.*)$/s.exec(record);
    if (m) modes.set(m[2]!, m[1]!);
  }
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  const data = (text: string) => `data ${Buffer.byteLength(text, 'utf8')}\n${text}\n`;
  const stream: string[] = [];
  landed.forEach(({ ref, files }, i) => {
    const who = ref.author.replace(/ \d+ [+-]\d{4}$/, '');
    stream.push(
      'commit refs/sd-actions/combined\n',
      `mark :${i + 1}\n`,
      `author ${ref.author}\n`,
      `committer ${who} ${when}\n`,
      data(ref.message),
      `from ${i === 0 ? own : `:${i}`}\n`,
      ...Object.entries(files).map(
        ([path, text]) =>
          `M ${modes.get(path) === '100755' ? '100755' : '100644'} inline ${quotePath(path)}\n${data(text)}`,
      ),
      '\n',
    );
  });
  stream.push(`get-mark :${landed.length}\n`, 'done\n');
  const imported = await repo.git.exec(
    ['fast-import', '--quiet', '--force', '--date-format=raw', '--done'],
    stream.join(''),
  );
  if (imported.code !== 0) throw new GitError(['fast-import'], imported.code, imported.stderr);
  const head = imported.stdout.toString('utf8').trim();
  for (const [path, text] of state) repo.noteFile(head, path, text);
  return { head, landed: landed.map((l) => l.ref) };
}

type PushOutcome = { ok: true } | { ok: false; retryable: boolean; detail: string };

/** One atomic push of several refspecs; `leases` are [ref, expected commit] pairs. */
async function pushRefs(
  repo: ScratchRepo,
  refspecs: string[],
  leases: [string, string][],
): Promise<PushOutcome> {
  const result = await repo.git.exec([
    'push',
    '--porcelain',
    '--no-verify',
    ...(refspecs.length > 1 ? ['--atomic'] : []),
    ...leases.map(([ref, sha]) => `--force-with-lease=${ref}:${sha}`),
    '--end-of-options',
    REMOTE,
    ...refspecs,
  ]);
  if (result.code === 0) return { ok: true };
  const text = `${result.stdout.toString('utf8')}\n${result.stderr}`;
  const detail = text
    .split('\n')
    .filter((line) => line.startsWith('!') || /^(?:error|fatal|remote):/.test(line))
    .map((line) => redactUrl(line.replace(/\t/g, ' ').trim()))
    .slice(0, 3)
    .join(' / ');
  return {
    ok: false,
    retryable:
      /non-fast-forward|fetch first|stale info|cannot lock ref|incorrect old value|failed to update ref|reference already exists|failed to lock|atomic push failed/i.test(
        text,
      ),
    detail: detail || redactUrl(result.stderr.trim().split('\n').slice(-2).join(' / ')),
  };
}

function quotePath(path: string): string {
  return `"${path.replace(/["\\]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`)}"`;
}
