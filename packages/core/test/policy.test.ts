import { describe, expect, test } from '@jest/globals';
import {
  checkPromotion,
  parseConfig,
  renderStatusText,
  statusMatrix,
  type DeployedEntry,
  type PromotionFacts,
} from '../src/index.js';

const config = await parseConfig(`
services: { blue: { path: projects/blue }, red: { path: projects/red } }
environments:
  dev: { tags: [dev] }
  staging: { from: dev, tags: ["{version}"] }
  production: { from: staging, tags: ["{version}", prd], minSoak: 24h }
`);
const env = (name: string) => config.environments.get(name)!;
const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const C1 = 'c'.repeat(40);
const now = new Date('2026-01-20T10:00:00Z');

function facts(over: Partial<PromotionFacts> = {}): PromotionFacts {
  return {
    service: 'blue',
    from: 'staging',
    to: env('production'),
    version: '1.6.1',
    artifact: {
      digest: D1,
      image: 'r/blue',
      commit: C1,
      version: '1.6.1',
      promotedAt: '2026-01-18T10:00:00Z',
    },
    current: { version: '1.6.0', digest: D2 },
    allowDowngrade: false,
    now,
    ...over,
  };
}
const rules = (f: PromotionFacts) => checkPromotion(f).refusals.map((r) => r.rule);

describe('checkPromotion', () => {
  test('a valid promotion passes', () => {
    expect(checkPromotion(facts())).toEqual({ refusals: [], warnings: [], alreadyDone: false });
  });
  test('refuses each rule with the facts', () => {
    expect(rules(facts({ artifact: undefined }))).toEqual(['artifact-in-from']);
    expect(
      rules(facts({ version: 'v1.6.1', artifact: { ...facts().artifact!, version: 'sha-abcdef1' } })),
    ).toEqual(['version-valid']);
    expect(
      checkPromotion(facts({ version: 'v1.6.1', artifact: { ...facts().artifact!, version: 'sha-abcdef1' } }))
        .refusals[0]!.message,
    ).toContain('did you mean 1.6.1?');
    expect(rules(facts({ version: '1.7.0' }))).toEqual(['version-matches-from']);
    expect(rules(facts({ current: { version: '1.7.0', digest: D2 } }))).toEqual(['no-downgrade']);
    expect(rules(facts({ current: { version: '1.7.0', digest: D2 }, allowDowngrade: true }))).toEqual([]);
    expect(rules(facts({ current: { version: '1.6.1', digest: D2 } }))).toEqual(['version-immutable']);
    expect(rules(facts({ existingTagCommit: 'd'.repeat(40), tagName: 'blue/1.6.1' }))).toEqual([
      'tag-matches-commit',
    ]);
    const soak = checkPromotion(
      facts({ artifact: { ...facts().artifact!, promotedAt: '2026-01-20T04:00:00Z' } }),
    );
    expect(soak.refusals).toEqual([
      { rule: 'min-soak', message: 'blue reached staging 6h ago; production requires 24h (minSoak)' },
    ]);
  });
  test('a soak policy of warn warns instead', () => {
    const warnEnv = { ...env('production'), soakPolicy: 'warn' as const };
    const v = checkPromotion(
      facts({ to: warnEnv, artifact: { ...facts().artifact!, promotedAt: '2026-01-20T09:30:00Z' } }),
    );
    expect(v.refusals).toEqual([]);
    expect(v.warnings.map((w) => w.rule)).toEqual(['min-soak']);
  });
  test('the same digest under the same version is already done, whatever the soak', () => {
    const v = checkPromotion(
      facts({
        current: { version: '1.6.1', digest: D1 },
        artifact: { ...facts().artifact!, promotedAt: now.toISOString() },
      }),
    );
    expect(v).toEqual({ refusals: [], warnings: [], alreadyDone: true });
  });
  test('the entry environment takes build tags', () => {
    expect(
      rules(facts({ from: undefined, to: env('dev'), version: 'sha-abc1234', current: undefined })),
    ).toEqual([]);
    expect(
      rules(facts({ from: undefined, to: env('dev'), version: 'latest;rm -rf /', current: undefined })),
    ).toEqual(['version-valid']);
  });
});

test('status matrix marks environments behind their from', () => {
  const e = (version: string, digest: string, who = 'alice'): DeployedEntry => ({
    version,
    digest,
    promotedAt: '2026-01-20T10:00:00Z',
    promotedBy: who,
  });
  const deployed = new Map([
    [
      'dev',
      new Map([
        ['blue', e('sha-1111111', D1)],
        ['red', e('sha-2222222', D2)],
      ]),
    ],
    ['staging', new Map([['blue', e('1.6.1', D1)]])],
    ['production', new Map([['blue', e('1.6.0', D2, 'bob')]])],
  ]);
  const rows = statusMatrix(config, deployed);
  expect(rows.map((r) => r.cells.map((c) => c.behind))).toEqual([
    [false, false, true],
    [false, true, false],
  ]);
  const text = renderStatusText(config, rows);
  expect(text.split('\n')[0]).toMatch(/^service\s+dev\s+staging\s+production$/);
  expect(text).toContain('1.6.0 · 222222222222 · 2026-01-20 10:00 bob ⚠ behind staging');
  expect(text).toContain('— (behind dev)');
});
