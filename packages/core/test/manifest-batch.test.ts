/**
 * promoteManyInManifest parses once but must give, at every step, exactly the bytes of
 * promoteInManifest applied to the step before (the commits of a batch and of single promotions
 * are the same). Realistic manifests, hand-edited ones, and shapes that take the single edit.
 */
import { describe, expect, test } from '@jest/globals';
import {
  checkBatchResult,
  newManifestText,
  promoteInManifest,
  promoteManyInManifest,
  UserError,
  type ManifestPromotion,
} from '../src/index.js';

const FILE = 'gitops/dev:release-manifests/dev.yaml';
const digest = (i: number, salt = 'a') => `sha256:${(salt + i.toString(16)).padStart(64, '0')}`;
const commit = (i: number) => i.toString(16).padStart(40, 'c');
const name = (i: number) => `s${String(i).padStart(4, '0')}`;

function promotion(i: number, salt = 'a', extra: Partial<ManifestPromotion> = {}): ManifestPromotion {
  return {
    version: `sha-${commit(i + 7).slice(0, 7)}`,
    image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${name(i)}`,
    digest: digest(i, salt),
    commit: commit(i),
    promotedAt: '2026-11-27T08:00:00Z',
    promotedBy: 'release-bot',
    ...extra,
  };
}

type Items = { service: string; promotion: ManifestPromotion }[];

/** The reference: the single edit, N times. */
function oneByOne(text: string, environment: string, items: Items) {
  const out = [];
  let current = text;
  for (const item of items) {
    const edit = promoteInManifest(current, FILE, environment, item.service, item.promotion);
    out.push({ service: item.service, edit });
    current = edit.text;
  }
  return out;
}

function expectSame(text: string, environment: string, items: Items): string {
  const batch = promoteManyInManifest(text, FILE, environment, items);
  const single = oneByOne(text, environment, items);
  expect(batch.map((s) => s.service)).toEqual(single.map((s) => s.service));
  for (const [i, step] of batch.entries()) expect(step.edit).toEqual(single[i]!.edit);
  const final = batch.at(-1)?.edit.text ?? text;
  if (final !== text) checkBatchResult(text, final, FILE, environment, items);
  return final;
}

/** A manifest written by earlier promotions: `count` entries, as the single edit writes them. */
function written(count: number, environment = 'dev'): string {
  let text = newManifestText(environment);
  for (let i = 0; i < count; i++)
    text = promoteInManifest(text, FILE, environment, name(i), promotion(i)).text;
  return text;
}

describe('promoteManyInManifest: the single edit N times, same bytes', () => {
  test('a new manifest: 120 services created one after another', () => {
    const items = Array.from({ length: 120 }, (_, i) => ({ service: name(i), promotion: promotion(i) }));
    const final = expectSame(newManifestText('dev'), 'dev', items);
    expect(final).toBe(written(120));
  });

  test('a written manifest: every entry re-promoted (a shared-path change), some new, some unchanged', () => {
    const base = written(80);
    const items = [
      ...Array.from({ length: 60 }, (_, i) => ({ service: name(79 - i), promotion: promotion(79 - i, 'b') })),
      { service: name(3), promotion: promotion(3) },
      ...Array.from({ length: 15 }, (_, i) => ({ service: name(100 + i), promotion: promotion(100 + i) })),
    ];
    expectSame(base, 'dev', items);
  });

  test('partial updates: only the digest and version (no commit, no who/when)', () => {
    const base = written(10);
    const items = [4, 1, 9].map((i) => ({
      service: name(i),
      promotion: { version: '2.0.0', image: promotion(i).image, digest: digest(i, 'c') },
    }));
    expectSame(base, 'dev', items);
  });

  test.each([
    [
      'hand-written: comments, quotes, CRLF-free blank lines, other keys, a trailing key',
      `# dev — humans edit this too
environment: dev   # keep

services:
    # the first one
    alpha:
        version: "1.0.0"   # quoted
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/alpha'
        digest: ${digest(1)}
        commit: ${commit(1)}
        promotedAt: 2026-01-20T10:00:00Z
        promotedBy: alice
        owner: team-a

    beta:
        version: 1.1.0
        image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/beta
        digest: ${digest(2)}
        commit: ${commit(2)}
        promotedAt: 2026-01-20T10:00:00Z
        promotedBy: bob
    # trailing comment inside services
notes: keep me
`,
    ],
    [
      'an anchored field aliased outside the services',
      `environment: dev
services:
  alpha:
    version: &v 1.0.0
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/alpha
    digest: ${digest(1)}
    commit: ${commit(1)}
    promotedAt: 2026-01-20T10:00:00Z
    promotedBy: alice
pinned: *v
`,
    ],
    ['CRLF line ends', written(3).replace(/\n/g, '\r\n')],
    ['no final newline', written(3).replace(/\n$/, '')],
    ['services: with nothing under it', 'environment: dev\nservices:\n'],
    ['no environment key', 'services:\n  alpha:\n    version: 1.0.0\n'],
    [
      'anchors and merge keys (single edits all the way)',
      `environment: dev
x: &img 123456789012.dkr.ecr.us-east-1.amazonaws.com/alpha
services:
  alpha:
    version: 1.0.0
    image: *img
    digest: ${digest(1)}
  beta: { version: 1.0.0 }
  gamma:
    version: 2
    image: |
      multi
`,
    ],
  ])('%s', (_label, text) => {
    const items = [
      {
        service: 'alpha',
        promotion: promotion(1, 'd', { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/alpha' }),
      },
      { service: 'beta', promotion: promotion(2, 'd', { promotedBy: 'carol' }) },
      { service: 'gamma', promotion: promotion(3, 'd') },
      { service: 'delta', promotion: promotion(4, 'd') },
      { service: 'has space', promotion: promotion(5, 'd', { version: '1.2.3' }) },
    ];
    expectSame(text, 'dev', items);
  });

  test('another environment in the file is refused as the single edit refuses it', () => {
    expect(() =>
      promoteManyInManifest(written(2, 'staging'), FILE, 'dev', [{ service: 'x', promotion: promotion(1) }]),
    ).toThrow(UserError);
  });

  test('a stop from the step callback ends the batch there', () => {
    const seen: string[] = [];
    expect(() =>
      promoteManyInManifest(
        written(2),
        FILE,
        'dev',
        [0, 1, 2].map((i) => ({ service: name(i), promotion: promotion(i, 'e') })),
        (s) => {
          seen.push(s.service);
          if (s.service === name(1)) throw new UserError('conflict');
        },
      ),
    ).toThrow('conflict');
    expect(seen).toEqual([name(0), name(1)]);
  });

  test('checkBatchResult refuses a final text that changed another entry', () => {
    const base = written(3);
    const items = [{ service: name(0), promotion: promotion(0, 'f') }];
    const [step] = promoteManyInManifest(base, FILE, 'dev', items);
    const tampered = step!.edit.text.replace(digest(2), digest(2, 'f'));
    expect(() => checkBatchResult(base, tampered, FILE, 'dev', items)).toThrow(
      /more than the promoted entries/,
    );
  });

  test('2,000 new entries then 2,000 re-promotions stay fast (one parse per batch)', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ service: name(i), promotion: promotion(i) }));
    const created = promoteManyInManifest(newManifestText('dev'), FILE, 'dev', items);
    const text = created.at(-1)!.edit.text;
    expect(created.filter((s) => s.edit.changed)).toHaveLength(2000);
    const again = items.map((i, n) => ({ service: i.service, promotion: promotion(n, 'b') }));
    const updated = promoteManyInManifest(text, FILE, 'dev', again);
    checkBatchResult(text, updated.at(-1)!.edit.text, FILE, 'dev', again);
    // Spot-check against the single edit at a few steps.
    for (const n of [0, 999, 1999]) {
      const before = n === 0 ? text : updated[n - 1]!.edit.text;
      expect(updated[n]!.edit).toEqual(
        promoteInManifest(before, FILE, 'dev', again[n]!.service, again[n]!.promotion),
      );
    }
  });
});
