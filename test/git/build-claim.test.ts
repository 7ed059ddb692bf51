/**
 * Build claims against a real bare origin: create-only pushes, lease updates and deletions, and
 * the turn protocol (claim, re-check after claiming, wait, take over, time out) with a clock the
 * test moves instead of waiting.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  claimRef,
  ClaimStore,
  finishTurn,
  formatRecord,
  Git,
  parseRecord,
  takeTurn,
  type TurnOptions,
} from '@sd-actions/git';
import { git, removeDir, tempDir } from '@sd-actions/testkit';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const T0 = new Date('2026-11-27T08:00:00Z');

let root: string;
let n = 0;
beforeAll(() => {
  root = tempDir('build-claim-');
});
afterAll(() => removeDir(root));

/** A fresh bare origin and a store on it. */
async function origin(): Promise<{ url: string; store: ClaimStore; refs: () => string }> {
  const url = join(root, `origin-${++n}.git`);
  git(root, 'init', '-q', '--bare', url);
  const store = await ClaimStore.open({ url, tempRoot: root });
  return { url, store, refs: () => git(url, 'for-each-ref', '--format=%(refname) %(objectname)') };
}

/** A clock the test owns: sleeping moves it, nothing waits. */
function clock(start = T0) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    sleep: async (ms: number) => {
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const REF = 'refs/sd-actions/builds/blue/sha-1111111';

describe('claim records', () => {
  test('round-trip; a forged holder, time or digest reads as harmless values', () => {
    const text = formatRecord(REF, {
      holder: 'https://github.com/a/b/actions/runs/1/attempts/1#ab12',
      at: T0,
      digest: DIGEST_A,
    });
    expect(parseRecord(text)).toEqual({
      holder: 'https://github.com/a/b/actions/runs/1/attempts/1#ab12',
      at: T0,
      digest: DIGEST_A,
    });
    expect(
      parseRecord(
        'x\n\nBuild-Claim-Holder: ::warning::forged\nBuild-Claim-At: soon\nBuild-Claim-Digest: dev\n',
      ),
    ).toEqual({ holder: '(unreadable holder)', at: new Date(0) });
    expect(() => formatRecord(REF, { holder: 'a\n::warning::x', at: T0 })).toThrow(/holder/);
  });

  test('the ref names the service and build tag; names git refuses are undefined', async () => {
    const g = new Git(root);
    expect(await claimRef(g, 'blue', 'sha-1111111')).toBe(REF);
    expect(await claimRef(g, 'api.lock', 'sha-1111111')).toBeUndefined();
    expect(await claimRef(g, 'a..b', 'sha-1111111')).toBeUndefined();
  });
});

describe('ClaimStore on a real origin', () => {
  test('create lands only when the ref is absent; update and release only with the right lease', async () => {
    const { store, refs } = await origin();
    try {
      expect(await store.read(REF)).toBeUndefined();
      const first = await store.create(REF, { holder: 'run-a', at: T0 });
      if (!first.ok) throw new Error('expected the first claim to land');
      const second = await store.create(REF, { holder: 'run-b', at: T0 });
      expect(second).toMatchObject({
        ok: false,
        reason: 'held',
        claim: { holder: 'run-a', commit: first.claim.commit },
      });
      expect(refs()).toBe(`${REF} ${first.claim.commit}`);

      // A lease on a commit that is not there is refused and changes nothing.
      const stale = await store.update(REF, '0'.repeat(40), { holder: 'run-b', at: T0 });
      expect(stale).toMatchObject({ ok: false, reason: 'held', claim: { holder: 'run-a' } });
      const recorded = await store.update(REF, first.claim.commit, {
        holder: 'run-a',
        at: T0,
        digest: DIGEST_A,
      });
      if (!recorded.ok) throw new Error('expected the lease update to land');
      expect(await store.read(REF)).toMatchObject({
        holder: 'run-a',
        digest: DIGEST_A,
        commit: recorded.claim.commit,
      });

      expect(await store.release(REF, first.claim.commit)).toBe(false); // wrong lease: kept
      expect(refs()).toBe(`${REF} ${recorded.claim.commit}`);
      expect(await store.release(REF, recorded.claim.commit)).toBe(true);
      expect(refs()).toBe('');
    } finally {
      await store.dispose();
    }
  });

  test('ten stores creating one claim at once: exactly one lands, the others see its holder', async () => {
    const { url, refs } = await origin();
    const stores = await Promise.all(
      Array.from({ length: 10 }, () => ClaimStore.open({ url, tempRoot: root })),
    );
    try {
      const outcomes = await Promise.all(stores.map((s, i) => s.create(REF, { holder: `run-${i}`, at: T0 })));
      const winners = outcomes.filter((o) => o.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0]!.ok ? winners[0]!.claim : undefined;
      for (const o of outcomes.filter((x) => !x.ok))
        expect(o).toMatchObject({
          reason: 'held',
          claim: { holder: winner!.holder, commit: winner!.commit },
        });
      expect(refs()).toBe(`${REF} ${winner!.commit}`);
    } finally {
      await Promise.all(stores.map((s) => s.dispose()));
    }
  });

  test('a remote that refuses the push: "refused" with git\'s reason, nothing written', async () => {
    const { url, store, refs } = await origin();
    const hook = join(url, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "permission to acme/monorepo denied" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    try {
      const r = await store.create(REF, { holder: 'run-a', at: T0 });
      expect(r).toMatchObject({ ok: false, reason: 'refused', detail: expect.stringContaining('denied') });
      expect(refs()).toBe('');
    } finally {
      await store.dispose();
    }
  });
});

describe('takeTurn', () => {
  const base = (c: ReturnType<typeof clock>, published: () => Promise<string | undefined>): TurnOptions => ({
    ref: REF,
    holder: 'run-me',
    timeoutMs: 30 * 60e3,
    published,
    now: c.now,
    sleep: c.sleep,
    random: () => 0.5,
  });

  test('no claim: ours to build; finishing records the digest, then deletes the claim', async () => {
    const { store, refs } = await origin();
    try {
      const c = clock();
      const turn = await takeTurn(
        store,
        base(c, async () => undefined),
      );
      if (turn.kind !== 'claimed') throw new Error(`expected claimed, got ${turn.kind}`);
      expect(refs()).toBe(`${REF} ${turn.claim.commit}`);
      expect(await finishTurn(store, turn.claim, DIGEST_A, c.now)).toBe('released');
      expect(refs()).toBe('');
    } finally {
      await store.dispose();
    }
  });

  test('ordering: a holder that wrote the tag and deleted its claim before we claimed is seen by the re-check', async () => {
    // Our caller saw no tag; meanwhile the other run pushed it and released. Claiming succeeds
    // (the ref is gone), and the re-check after claiming finds the tag: no second build.
    const { store, refs } = await origin();
    try {
      const c = clock();
      const seen: string[] = [];
      const turn = await takeTurn(store, {
        ...base(c, async () => {
          seen.push(refs());
          return DIGEST_A;
        }),
      });
      expect(turn).toEqual({ kind: 'published', digest: DIGEST_A });
      expect(seen).toEqual([
        expect.stringMatching(/^refs\/sd-actions\/builds\/blue\/sha-1111111 [0-9a-f]{40}$/),
      ]);
      expect(refs()).toBe(''); // our claim was given back
    } finally {
      await store.dispose();
    }
  });

  test('a held claim: wait with backoff until the tag exists; never write the claim', async () => {
    const { url, store, refs } = await origin();
    const other = await ClaimStore.open({ url, tempRoot: root });
    try {
      const c = clock();
      const held = await other.create(REF, { holder: 'run-other', at: T0 });
      if (!held.ok) throw new Error('setup');
      const before = refs();
      let polls = 0;
      const waits: string[] = [];
      const sleeps: number[] = [];
      const turn = await takeTurn(store, {
        ...base(c, async () => (++polls >= 4 ? DIGEST_A : undefined)),
        sleep: async (ms) => {
          sleeps.push(ms);
          await c.sleep(ms);
        },
        onWait: (claim) => waits.push(claim.holder),
      });
      expect(turn).toEqual({ kind: 'published', digest: DIGEST_A, holder: 'run-other' });
      expect(waits).toEqual(['run-other']);
      expect(sleeps).toEqual([750, 1500, 3000, 6000]); // equal-jitter backoff at random 0.5
      expect(refs()).toBe(before);
    } finally {
      await Promise.all([store.dispose(), other.dispose()]);
    }
  });

  test('a held claim that stays fresh: time out after the wait, the claim untouched', async () => {
    const { url, store, refs } = await origin();
    const other = await ClaimStore.open({ url, tempRoot: root });
    try {
      const c = clock();
      // Claimed after we started waiting (say, a takeover by a third run): never stale for us.
      const held = await other.create(REF, { holder: 'run-other', at: new Date(T0.getTime() + 60e3) });
      if (!held.ok) throw new Error('setup');
      const before = refs();
      const turn = await takeTurn(store, { ...base(c, async () => undefined), timeoutMs: 10 * 60e3 });
      expect(turn).toMatchObject({ kind: 'timeout', claim: { holder: 'run-other' }, waitedMs: 10 * 60e3 });
      expect(refs()).toBe(before);
    } finally {
      await Promise.all([store.dispose(), other.dispose()]);
    }
  });

  test('a stale claim (older than the timeout, no image) is taken over with a lease update', async () => {
    const { url, store, refs } = await origin();
    const other = await ClaimStore.open({ url, tempRoot: root });
    try {
      const c = clock();
      const held = await other.create(REF, { holder: 'run-gone', at: new Date(T0.getTime() - 31 * 60e3) });
      if (!held.ok) throw new Error('setup');
      const turn = await takeTurn(
        store,
        base(c, async () => undefined),
      );
      if (turn.kind !== 'claimed') throw new Error(`expected claimed, got ${turn.kind}`);
      expect(turn.takenOver).toMatchObject({ holder: 'run-gone', commit: held.claim.commit });
      expect(turn.claim.holder).toBe('run-me');
      expect(refs()).toBe(`${REF} ${turn.claim.commit}`);
      // The old holder comes back: its lease is gone, so it learns it lost the claim.
      expect(await finishTurn(other, held.claim, DIGEST_A, c.now)).toBe('lost');
      expect(refs()).toBe(`${REF} ${turn.claim.commit}`);
    } finally {
      await Promise.all([store.dispose(), other.dispose()]);
    }
  });

  test('a claim released while we wait (its build failed): we claim it and build', async () => {
    const { url, store, refs } = await origin();
    const other = await ClaimStore.open({ url, tempRoot: root });
    try {
      const c = clock();
      const held = await other.create(REF, { holder: 'run-failed', at: T0 });
      if (!held.ok) throw new Error('setup');
      const turn = await takeTurn(store, {
        ...base(c, async () => undefined),
        sleep: async (ms) => {
          await other.release(REF, held.claim.commit);
          await c.sleep(ms);
        },
      });
      if (turn.kind !== 'claimed') throw new Error(`expected claimed, got ${turn.kind}`);
      expect(turn.takenOver).toBeUndefined();
      expect(refs()).toBe(`${REF} ${turn.claim.commit}`);
    } finally {
      await Promise.all([store.dispose(), other.dispose()]);
    }
  });

  test('a remote that refuses writes: unguarded, with the reason', async () => {
    const { url, store, refs } = await origin();
    const hook = join(url, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "The requested URL returned error: 403" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    try {
      const turn = await takeTurn(
        store,
        base(clock(), async () => undefined),
      );
      expect(turn).toMatchObject({ kind: 'unguarded', detail: expect.stringContaining('403') });
      expect(refs()).toBe('');
    } finally {
      await store.dispose();
    }
  });
});
