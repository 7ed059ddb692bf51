/** The ledger reader against real git: one `git log` per read, git's own trailer parsing, full history from a scratch repo. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import {
  addQuarantine,
  checkQuarantine,
  parseConfig,
  planRollback,
  promotionMessage,
  rollbackMessage,
} from '@sd-actions/core';
import { Git, ScratchRepo } from '@sd-actions/git';
import {
  fetchLedgerBranch,
  readLedger,
  readLedgerCommits,
  readQuarantine,
  updateManifest,
} from '@sd-actions/gitops';
import { commit, git, originAndClone, removeDir, tempDir } from '@sd-actions/testkit';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const SRC = (c: string) => c.repeat(40);
const BRANCH = 'gitops/production-releases';
const MANIFEST = 'release-manifests/production.yaml';

/** Counts the git processes a read starts. */
class CountingGit extends Git {
  calls: string[][] = [];
  override exec(args: readonly string[], input?: string) {
    this.calls.push([...args]);
    return super.exec(args, input);
  }
}

function promote(work: string, service: string, version: string, digest: string) {
  return commit(
    work,
    promotionMessage({
      service,
      environment: 'production',
      version,
      digest,
      image: `registry.example/${service}`,
      sourceCommit: SRC(digest.slice(7, 8)),
      actor: 'alice',
    }),
    { [MANIFEST]: `environment: production\n# ${service} ${version}\n` },
  );
}

function verify(work: string, version: string, digest: string, result: string) {
  // A record that changes no file, as a verification may be.
  return commit(
    work,
    `verify(blue): ${version} ${result} in production\n\nSd-Service: blue\nSd-Environment: production\nSd-Version: ${version}\nSd-Digest: ${digest}\nSd-Verification: ${result}\nSd-Run-Url: https://github.com/acme/app/actions/runs/3\n`,
  );
}

let root: string;
let origin: string;
let work: string;
const shas: Record<string, string> = {};

beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('ledger-');
  ({ origin, work } = originAndClone(root));
  git(work, 'checkout', '-q', '-b', BRANCH);
  commit(work, 'initial manifest', { [MANIFEST]: 'environment: production\nservices: {}\n' });
  shas.p160 = promote(work, 'blue', '1.6.0', D('f'));
  verify(work, '1.6.0', D('f'), 'healthy');
  shas.red = promote(work, 'red', '3.0.8', D('c'));
  shas.p161 = promote(work, 'blue', '1.6.1', D('a'));
  verify(work, '1.6.1', D('a'), 'healthy');
  // A body that quotes a trailer is not a trailer; the real trailer block is read.
  shas.note = commit(
    work,
    'docs: note\n\nThe old value was\nSd-Version: 0.0.1 (quoted)\n\nSd-Service: blue\nSd-Environment: production\nSd-Version: 1.6.1\nSd-Digest: sha256:short\n',
  );
  shas.p170 = promote(work, 'blue', '1.7.0', D('b'));
  verify(work, '1.7.0', D('b'), 'unhealthy');
  // A service whose name contains the other's as a prefix must not leak into blue's ledger.
  promote(work, 'blue.v2', '9.9.9', D('e'));
  git(work, 'push', '-q', 'origin', BRANCH);
});

afterAll(() => removeDir(root));

describe('readLedger', () => {
  test('one git process; events of one service, newest first; malformed records reported', async () => {
    const g = new CountingGit(work);
    const ledger = await readLedger(g, BRANCH, 'production', { service: 'blue' });
    expect(g.calls).toHaveLength(1);
    expect(ledger.events.map((e) => `${e.kind} ${e.kind === 'malformed' ? '' : e.version}`.trim())).toEqual([
      'verification 1.7.0',
      'promotion 1.7.0',
      'malformed',
      'verification 1.6.1',
      'promotion 1.6.1',
      'verification 1.6.0',
      'promotion 1.6.0',
    ]);
    expect(ledger.malformed[0]).toMatchObject({
      sha: shas.note,
      problems: ['Sd-Digest "sha256:short" is not a digest like sha256:<64 hex>'],
    });
    const p161 = ledger.events[4]!;
    expect(p161).toMatchObject({
      kind: 'promotion',
      sha: shas.p161,
      subject: 'promote(blue): 1.6.1 to production',
      digest: D('a'),
      image: 'registry.example/blue',
      sourceCommit: SRC('a'),
      actor: 'alice',
    });
    expect(p161.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
  });

  test('without a service every record is read; a path limit drops records that change no file', async () => {
    const all = await readLedger(new Git(work), BRANCH, 'production');
    expect(all.events.filter((e) => e.kind !== 'malformed').map((e) => e.service)).toEqual(
      expect.arrayContaining(['blue', 'red', 'blue.v2']),
    );
    const byPath = await readLedgerCommits(new Git(work), BRANCH, { path: MANIFEST, service: 'blue' });
    expect(byPath.map((c) => c.sha)).toEqual([shas.p170, shas.p161, shas.p160]);
    expect(await readLedgerCommits(new Git(work), BRANCH, { service: 'blue', maxCount: 2 })).toHaveLength(2);
  });

  test('a rollback written with rollbackMessage reads back and drives the next decision', async () => {
    const w = join(root, 'rollback-work');
    git(root, 'clone', '-q', '--branch', BRANCH, origin, w);
    commit(
      w,
      rollbackMessage({
        service: 'blue',
        environment: 'production',
        version: '1.6.1',
        previousVersion: '1.7.0',
        digest: D('a'),
        reason: 'verify-deployment: unhealthy',
        actor: 'github-actions',
      }),
    );
    const ledger = await readLedger(new Git(w), 'HEAD', 'production', { service: 'blue' });
    expect(ledger.events[0]).toMatchObject({ kind: 'rollback', version: '1.6.1', rollbackOf: '1.7.0' });
    const decide = (fromVersion?: string) =>
      planRollback({
        service: 'blue',
        environment: 'production',
        current: { version: '1.6.1', digest: D('a') },
        ledger,
        quarantine: [],
        fromVersion,
        reason: 'verify-deployment: unhealthy',
        cooldownMs: 30 * 60e3,
        allowUnverified: false,
        now: new Date(Date.parse(ledger.events[0]!.date) + 60e3),
      });
    expect(decide('1.7.0').kind).toBe('noop');
    expect(decide()).toMatchObject({ kind: 'refused', rule: 'cooldown' });
  });

  test('a bad ref or service name is a clear error', async () => {
    await expect(readLedger(new Git(work), 'no-such-branch', 'production')).rejects.toThrow(
      /git .*log.* failed/,
    );
    await expect(readLedger(new Git(work), BRANCH, 'production', { service: 'a b' })).rejects.toThrow(
      /"a b" is not a service name/,
    );
  });
});

describe('fetchLedgerBranch', () => {
  test('the whole history into a scratch repo (whose own fetches are shallow)', async () => {
    const repo = await ScratchRepo.open({ url: origin });
    try {
      await repo.fetchBranch(BRANCH);
      expect(await repo.git.isShallow()).toBe(true);
      const tip = await fetchLedgerBranch(repo, BRANCH);
      expect(tip).toBe(git(origin, 'rev-parse', BRANCH));
      const ledger = await readLedger(repo.git, tip!, 'production', { service: 'blue' });
      expect(ledger.events).toHaveLength(7);
      expect(await fetchLedgerBranch(repo, 'gitops/none')).toBeUndefined();
    } finally {
      await repo.dispose();
    }
  });
});

describe('records written by the real promotion writer', () => {
  test('updateManifest commits read back as valid promotions', async () => {
    const dir = tempDir('ledger-writer-');
    const { origin: o } = originAndClone(dir);
    const config = await parseConfig(`
services: { blue: { path: projects/blue } }
environments:
  staging: { branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases, tags: ["{version}", prd] }
`);
    const repo = await ScratchRepo.open({ url: o });
    try {
      for (const [version, c] of [
        ['1.6.0', 'f'],
        ['1.6.1', 'a'],
      ] as const)
        await updateManifest({
          repo,
          config,
          service: config.services.get('blue')!,
          environment: config.environments.get('production')!,
          promotion: {
            version,
            image: '/tmp/with space/layout/blue',
            digest: D(c),
            commit: SRC(c),
            promotedAt: '2026-01-20T10:00:00Z',
            promotedBy: 'alice',
          },
          fromEnvironment: 'staging',
          runUrl: 'https://github.com/acme/app/actions/runs/5',
        });
      const tip = await fetchLedgerBranch(repo, 'gitops/production-releases');
      const ledger = await readLedger(repo.git, tip!, 'production', { service: 'blue' });
      expect(ledger.malformed).toEqual([]);
      // A quarantine recorded on the branch (as the rollback commit will) is read back for promote's rule.
      const production = config.environments.get('production')!;
      expect(await readQuarantine(repo, config, production)).toEqual([]);
      const path = 'release-manifests/production.yaml';
      const text = (await repo.readFile(tip!, path))!;
      const entry = {
        service: 'blue',
        version: '1.6.1',
        digest: D('a'),
        at: '2026-01-21T10:00:00Z',
        reason: 'unhealthy',
        by: 'alice',
      };
      const next = await repo.commitFiles(
        tip,
        { [path]: addQuarantine(text, path, entry).text },
        'quarantine(blue): 1.6.1 in production',
      );
      expect(await repo.push(next!, 'gitops/production-releases')).toEqual({ ok: true });
      const quarantine = await readQuarantine(repo, config, production);
      expect(quarantine).toEqual([entry]);
      expect(
        checkQuarantine({
          service: 'blue',
          environment: 'production',
          digest: D('a'),
          quarantine,
          allowQuarantined: false,
        }).refusal?.rule,
      ).toBe('quarantine');
      expect(await readQuarantine(repo, config, config.environments.get('staging')!)).toEqual([]);
      expect(ledger.events).toEqual([
        expect.objectContaining({
          kind: 'promotion',
          version: '1.6.1',
          previousVersion: '1.6.0',
          digest: D('a'),
          sourceCommit: SRC('a'),
          image: '/tmp/with space/layout/blue',
          fromEnvironment: 'staging',
          actor: 'alice',
        }),
        expect.objectContaining({
          kind: 'promotion',
          version: '1.6.0',
          digest: D('f'),
          runUrl: 'https://github.com/acme/app/actions/runs/5',
        }),
      ]);
    } finally {
      await repo.dispose();
      removeDir(dir);
    }
  });
});
