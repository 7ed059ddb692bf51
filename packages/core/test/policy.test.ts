import { describe, expect, test } from '@jest/globals';
import {
  checkPromotion,
  checkQuarantine,
  checkVerification,
  judgeRequestApproval,
  judgeRunApproval,
  parseConfig,
  renderStatusText,
  statusMatrix,
  type ApprovalBinding,
  type DeployedEntry,
  type GateVerdict,
  type PromotionFacts,
  type Refusal,
  type VerificationEvent,
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
const REQUEST = 'https://github.com/acme/monorepo/issues/7';
const BINDING: ApprovalBinding = {
  service: 'blue',
  environment: 'production',
  version: '1.6.1',
  digest: D1,
  requester: 'dave',
  triggeringActor: 'dave',
  run: 'https://github.com/acme/monorepo/actions/runs/1',
  requestedAt: '2026-01-20T09:00:00Z',
};
const unhealthy: VerificationEvent = {
  kind: 'verification',
  sha: 'e'.repeat(40),
  subject: 'verify(blue): 1.6.1 unhealthy in staging',
  date: '2026-01-19T12:00:00Z',
  service: 'blue',
  environment: 'staging',
  version: '1.6.1',
  digest: D1,
  result: 'unhealthy',
};

describe('checkPromotion', () => {
  test('a valid promotion passes', () => {
    expect(checkPromotion(facts())).toEqual({ refusals: [], warnings: [], alreadyDone: false });
  });
  // One row per rule: the facts that break exactly that rule, the rule id the refusal names and
  // what its message says. Promote runs the policy and then the gates ([quarantine],
  // [verification], [approval]); every rule it can refuse by is here.
  const gate = (v: { refusal?: Refusal; warning?: Refusal } | GateVerdict): Refusal[] =>
    'refusal' in v && v.refusal ? [v.refusal] : [];
  const quarantined = { service: 'blue', version: '1.6.1', digest: D1, at: '2026-01-19T10:00:00Z' };
  test.each<[rule: string, facts: string, refusals: () => Refusal[], message: RegExp]>([
    [
      'chain-order',
      'promoting to production from dev, skipping staging',
      () => checkPromotion(facts({ from: 'dev' })).refusals,
      /^production takes artifacts from staging \(environments\.production\.from\); promoting from dev would skip the chain/,
    ],
    [
      'chain-order',
      'promoting into the entry environment from another environment',
      () => checkPromotion(facts({ from: 'staging', to: env('dev'), current: undefined })).refusals,
      /^dev has no "from": it takes builds/,
    ],
    [
      'chain-from-build',
      'a build straight into staging, which takes no builds',
      () =>
        checkPromotion(
          facts({ from: undefined, to: { ...env('staging'), acceptBuilds: false }, current: undefined }),
        ).refusals,
      /^staging takes artifacts from dev, not builds \(environments\.staging\.acceptBuilds is false\)/,
    ],
    [
      'chain-from-build',
      'a build of main straight into staging, which takes builds only as hotfixes',
      () =>
        checkPromotion(
          facts({ from: undefined, to: env('staging'), current: undefined, buildOnReleaseBranch: false }),
        ).refusals,
      /^staging takes builds only as hotfixes \(environments\.staging\.acceptBuilds: hotfix\): a release version whose source commit is on its release branch/,
    ],
    [
      'ref-name',
      'a release tag git cannot name',
      () => checkPromotion(facts({ tagName: 'blue/1.6.1.lock' })).refusals,
      /^the release tag "blue\/1\.6\.1\.lock" is not a valid git ref name/,
    ],
    [
      'artifact-in-from',
      'staging has no entry for the service',
      () => checkPromotion(facts({ artifact: undefined })).refusals,
      /^blue has no artifact in staging: promote it to staging first$/,
    ],
    [
      'version-valid',
      'a release environment given a v-prefixed version',
      () =>
        checkPromotion(
          facts({ version: 'v1.6.1', artifact: { ...facts().artifact!, version: 'sha-abcdef1' } }),
        ).refusals,
      /^version "v1\.6\.1" is not semver like 1\.2\.3 \(did you mean 1\.6\.1\?\)$/,
    ],
    [
      'version-valid',
      'the entry environment given neither a build tag nor semver',
      () =>
        checkPromotion(
          facts({ from: undefined, to: env('dev'), version: 'latest;rm -rf /', current: undefined }),
        ).refusals,
      /^version "latest;rm -rf \/" is neither a build tag \(sha-<7>\) nor semver like 1\.2\.3$/,
    ],
    [
      'version-matches-from',
      'a released artifact promoted under another version',
      () => checkPromotion(facts({ version: '1.7.0' })).refusals,
      /^blue runs in staging as 1\.6\.1; a released artifact keeps its version, so promote it as 1\.6\.1$/,
    ],
    [
      'version-immutable',
      'the version production runs, with another digest',
      () => checkPromotion(facts({ current: { version: '1.6.1', digest: D2 } })).refusals,
      /^blue in production already runs 1\.6\.1 as sha256:2+; 1\.6\.1 cannot now name sha256:1+ — cut a new version$/,
    ],
    [
      'no-downgrade',
      'a version lower than production runs',
      () => checkPromotion(facts({ current: { version: '1.7.0', digest: D2 } })).refusals,
      /^blue in production runs 1\.7\.0; 1\.6\.1 is lower \(set allow-downgrade: true/,
    ],
    [
      'tag-matches-commit',
      'the release tag already names another commit',
      () => checkPromotion(facts({ existingTagCommit: 'd'.repeat(40), tagName: 'blue/1.6.1' })).refusals,
      /^git tag blue\/1\.6\.1 already points at d{12}, but the artifact was built from c{12}/,
    ],
    [
      'min-soak',
      'six hours in staging where production requires 24h',
      () =>
        checkPromotion(facts({ artifact: { ...facts().artifact!, promotedAt: '2026-01-20T04:00:00Z' } }))
          .refusals,
      /^blue reached staging 6h ago; production requires 24h \(minSoak\)$/,
    ],
    [
      'min-soak',
      'no promotedAt in staging, so the soak is unknown',
      () => checkPromotion(facts({ artifact: { ...facts().artifact!, promotedAt: undefined } })).refusals,
      /^blue has no promotedAt in staging, so its soak time \(24h required\) is unknown$/,
    ],
    [
      'quarantine',
      'the digest was quarantined in production',
      () =>
        gate(
          checkQuarantine({
            service: 'blue',
            environment: 'production',
            digest: D1,
            quarantine: [{ ...quarantined, reason: 'error rate', by: 'alice' }],
            allowQuarantined: false,
          }),
        ),
      /^blue 1\.6\.1 \(sha256:1+\) was quarantined in production at 2026-01-19T10:00:00Z by alice: error rate\. /,
    ],
    [
      'verification',
      'the newest verification of the digest in staging is unhealthy',
      () =>
        gate(
          checkVerification({
            service: 'blue',
            from: 'staging',
            to: 'production',
            version: '1.6.1',
            digest: D1,
            ledger: { environment: 'staging', malformed: [], events: [unhealthy] },
            reason: '3 of 6 checks failed',
          }),
        ),
      /^blue 1\.6\.1 \(sha256:1+\) was verified unhealthy in staging \(as 1\.6\.1\) by commit e{12} .*: 3 of 6 checks failed\. /,
    ],
    [
      'approval',
      'the approval request has one of two approvals',
      () =>
        gate(
          judgeRequestApproval({
            number: 7,
            url: REQUEST,
            binding: BINDING,
            decision: { status: 'pending', approvers: ['alice'], deniers: [], ignored: [] },
            policy: { count: 2, users: ['alice', 'bob'], teams: [], via: 'issue' },
            expected: { service: 'blue', environment: 'production', digest: D1 },
          }),
        ),
      /^approval request #7 \(https:\/\/github\.com\/acme\/monorepo\/issues\/7\) has 1 of 2 eligible approvals \(alice\); production requires 2 approvals from alice, bob \(via issue\)/,
    ],
    [
      'approval',
      'the approval request approves another digest',
      () =>
        gate(
          judgeRequestApproval({
            number: 7,
            url: REQUEST,
            binding: { ...BINDING, digest: D2 },
            decision: { status: 'approved', approvers: ['alice', 'bob'], deniers: [], ignored: [] },
            policy: { count: 2, users: ['alice', 'bob'], teams: [], via: 'issue' },
            expected: { service: 'blue', environment: 'production', digest: D1 },
          }),
        ),
      /^approval request #7 \(.*\) does not approve this promotion: .*sha256:2+/,
    ],
    [
      'approval',
      "the run's environment review was rejected",
      () =>
        gate(
          judgeRunApproval({
            runId: 42,
            runUrl: 'https://github.com/acme/monorepo/actions/runs/42',
            environment: 'production',
            decision: { status: 'denied', approvers: [], deniers: ['bob'], ignored: [], reviews: 1 },
            policy: { count: 1, users: [], teams: [], via: 'environment' },
          }),
        ),
      /^the production environment review of run 42 was rejected by bob$/,
    ],
  ])('[%s] refuses %s', (rule, _facts, refusals, message) => {
    const found = refusals();
    expect(found.map((r) => r.rule)).toEqual([rule]);
    expect(found[0]!.message).toMatch(message);
  });

  test('allow-downgrade lets a lower version through', () => {
    expect(rules(facts({ current: { version: '1.7.0', digest: D2 }, allowDowngrade: true }))).toEqual([]);
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
