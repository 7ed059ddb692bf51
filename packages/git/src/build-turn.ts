/**
 * Build once under concurrency: whose turn is it to build a tag that does not exist yet?
 *
 *   1. Claim the ref (create-only). Won: check the tag AGAIN — a holder that finished before we
 *      claimed wrote the tag before it released, so a tag seen now means "reuse it"; release our
 *      claim and do not build. Otherwise build, then `finish` (record the digest, release).
 *   2. Lost: wait, polling with backoff, until the tag exists (report it, never build), the claim
 *      disappears (the holder gave up: claim again), the claim is stale — older than the timeout,
 *      its holder gone — (take it over with a lease update), or our own wait passes the timeout.
 *   3. The claim cannot be written at all (no token, read-only token): `unguarded`; the caller
 *      builds as it would without claims and says why.
 *
 * Because the tag is always written before the claim is released and every winner re-checks the
 * tag after claiming, deleting the claim after success never lets a second build start.
 * Time comes from the caller (`now`, `sleep`): tests move a clock instead of waiting.
 */
import { backoffDelay, type BackoffSchedule } from '@sd-actions/core';
import type { Claim, ClaimStore } from './build-claim.js';

export interface TurnOptions {
  ref: string;
  /** Who we are, recorded in the claim (the run's URL). */
  holder: string;
  /** How long to wait for another holder; also the age after which a claim counts as stale. */
  timeoutMs: number;
  /** The digest the guarded tag holds now, or undefined while it does not exist. */
  published: () => Promise<string | undefined>;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Told once per claim we wait for (to log who holds it). */
  onWait?: (claim: Claim) => void;
  schedule?: BackoffSchedule;
  random?: () => number;
}

export type Turn =
  /** The tag exists: use its digest and build nothing. `holder` is whose claim we saw, if any. */
  | { kind: 'published'; digest: string; holder?: string }
  /** Ours to build. `takenOver` is the stale claim we replaced. */
  | { kind: 'claimed'; claim: Claim; takenOver?: Claim }
  /** No claim could be written or read; build without the guard. */
  | { kind: 'unguarded'; detail: string }
  /** Waited `timeoutMs` for `claim`'s holder without seeing the tag. */
  | { kind: 'timeout'; claim?: Claim; waitedMs: number };

export const TURN_SCHEDULE: BackoffSchedule = { baseMs: 1000, maxMs: 15000 };

export function isStale(claim: Claim, now: Date, timeoutMs: number): boolean {
  return now.getTime() - claim.at.getTime() > timeoutMs;
}

export async function takeTurn(store: ClaimStore, options: TurnOptions): Promise<Turn> {
  const { ref, holder, timeoutMs, published, now } = options;
  const started = now().getTime();
  let seen: Claim | undefined;
  let announced: string | undefined;
  for (let retry = 1; ; retry++) {
    // Our write: create when there is no claim, take over when the one there is stale.
    let current = seen;
    let takenOver: Claim | undefined;
    if (!current || isStale(current, now(), timeoutMs)) {
      const record = { holder, at: now() };
      const outcome = current
        ? await store.update(ref, current.commit, record)
        : await store.create(ref, record);
      if (outcome.ok) {
        takenOver = current;
        // Re-check after claiming: an earlier holder wrote the tag before it released.
        const digest = await published();
        if (digest) {
          await store.release(ref, outcome.claim.commit);
          return { kind: 'published', digest, ...(current ? { holder: current.holder } : {}) };
        }
        return { kind: 'claimed', claim: outcome.claim, ...(takenOver ? { takenOver } : {}) };
      }
      if (outcome.reason === 'refused') return { kind: 'unguarded', detail: outcome.detail };
      current = outcome.claim;
    }
    if (current && announced !== current.commit) {
      announced = current.commit;
      options.onWait?.(current);
    }

    const waited = now().getTime() - started;
    if (waited >= timeoutMs)
      return { kind: 'timeout', ...(current ? { claim: current } : {}), waitedMs: waited };
    const delay = backoffDelay(retry, options.schedule ?? TURN_SCHEDULE, options.random);
    await options.sleep(Math.max(0, Math.min(delay, timeoutMs - waited)));

    const digest = await published();
    if (digest) return { kind: 'published', digest, ...(current ? { holder: current.holder } : {}) };
    try {
      seen = await store.read(ref);
    } catch (err) {
      return { kind: 'unguarded', detail: (err as Error).message };
    }
  }
}

/**
 * After a build: record its digest in our claim (so a reader sees the holder finished), then
 * release the claim. `lost` when someone took the claim over meanwhile (our build outlived the
 * timeout); `kept` when the release did not land (the claim stays, harmless: the tag exists).
 */
export async function finishTurn(
  store: ClaimStore,
  claim: Claim,
  digest: string,
  now: () => Date,
): Promise<'released' | 'kept' | 'lost'> {
  const recorded = await store.update(claim.ref, claim.commit, { holder: claim.holder, at: now(), digest });
  if (!recorded.ok) return recorded.reason === 'held' ? 'lost' : 'kept';
  return (await store.release(claim.ref, recorded.claim.commit)) ? 'released' : 'kept';
}
