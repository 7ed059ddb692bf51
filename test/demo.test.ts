/**
 * npm run demo is the main job: it must keep working, and its end state is the product's promise —
 * production runs byte for byte what was built once for dev.
 */
import { afterAll, expect, test } from '@jest/globals';
import { rehearse, type RehearsalResult } from '@sd-actions/demo';
import { execFileSync } from 'node:child_process';
import { git, removeDir, ROOT, tempDir, timeBudget } from '@sd-actions/testkit';

let result: RehearsalResult;
const dir = tempDir('demo-');
afterAll(() => removeDir(dir));

test('the full local release rehearsal ends in the expected state', async () => {
  const lines: string[] = [];
  // Under 20 s on an idle 2-core machine; the budget grows with how busy the machine is right now.
  const budget = timeBudget(20);
  result = await rehearse({ dir, log: (line) => lines.push(line) });
  expect(result.seconds).toBeLessThan(budget);
  const get = (env: string, service: string) => result.deployed.get(env)?.get(service);
  const builtFor = (service: string, commit: string | undefined) => result.built.get(`${service}@${commit}`);

  // Production: what was promoted from staging, the exact digests built for dev on the first push.
  const first = get('dev', 'yellow')!.commit;
  expect(get('production', 'blue')).toMatchObject({
    version: '1.6.0',
    commit: first,
    digest: builtFor('blue', first),
    promotedBy: 'bob',
  });
  expect(get('production', 'green')).toMatchObject({
    version: '1.4.0',
    commit: first,
    digest: builtFor('green', first),
  });
  expect(get('production', 'red')).toBeUndefined();

  // Staging: green as released, red back at 0.1.0 (its auto version, a feat) after 0.2.0 was rolled
  // back, blue's hotfix built from the release branch.
  expect(get('staging', 'green')).toMatchObject({
    version: '1.4.0',
    digest: get('production', 'green')!.digest,
  });
  const red = get('staging', 'red')!;
  expect(red).toMatchObject({ version: '0.1.0', digest: builtFor('red', red.commit) });
  expect(red.commit).not.toBe(get('dev', 'red')!.commit);
  const hotfix = get('staging', 'blue')!;
  expect(hotfix).toMatchObject({
    version: '1.6.1',
    digest: builtFor('blue', hotfix.commit),
    promotedBy: 'dave',
  });
  expect(git(result.origin, 'rev-parse', 'blue/1.6.1^{commit}')).toBe(hotfix.commit);
  expect(git(result.origin, 'rev-parse', 'release/blue-1.6')).toBe(hotfix.commit);
  expect(git(result.origin, 'rev-parse', `${hotfix.commit}^`)).toBe(first);

  // Dev: only the services each push changed were rebuilt.
  expect(get('dev', 'yellow')!.version).toBe(`sha-${first!.slice(0, 7)}`);
  expect(get('dev', 'red')!.commit).not.toBe(first);
  expect(get('dev', 'blue')!.commit).not.toBe(first);
  expect(lines).toContain('detect: red changed (push: the commit before the push)');
  expect(lines.filter((l) => l.startsWith('build-once-tag: ')).length).toBe(4 + 1 + 1 + 1 + 1);

  // The policy at work: one refusal, shown; and every line fits a 120-column terminal.
  expect(lines.join('\n')).toContain(
    '  [no-downgrade] green in staging runs 1.4.0; 1.3.0 is lower (set allow-downgrade: true to roll back on purpose)',
  );
  // The closed loop: every promotion to staging and production verified; red 0.2.0 turns unhealthy,
  // is rolled back to the last verified version, quarantined, refused, and people are told.
  expect(lines.filter((l) => / ✓ healthy$/.test(l))).toEqual([
    'verify-deployment: blue 1.6.0 in staging ✓ healthy',
    'verify-deployment: green 1.4.0 in staging ✓ healthy',
    'verify-deployment: blue 1.6.0 in production ✓ healthy',
    'verify-deployment: green 1.4.0 in production ✓ healthy',
    'verify-deployment: red 0.1.0 in staging ✓ healthy',
    'verify-deployment: blue 1.6.1 in staging ✓ healthy',
    'verify-deployment: red 0.1.0 in staging ✓ healthy',
  ]);
  const story = lines.join('\n');
  expect(story).toContain('verify-deployment: red 0.2.0 in staging ✗ unhealthy\n');
  expect(story).toMatch(/\n {3}http 127\.0\.0\.1:\d+\/staging\/red\/health: .*\$\.status is "DOWN"/);
  expect(lines).toContainEqual(
    expect.stringMatching(
      /^rollback-service: red 0\.2\.0 → 0\.1\.0 in staging, the last version verified healthy/,
    ),
  );
  expect(lines).toContain('   quarantined in staging: red 0.2.0');
  expect(story).toMatch(
    /\nrefused: Promotion of red to staging refused, nothing was changed:\n {2}\[quarantine\] /,
  );
  expect(lines).toContain(
    'notify verification-failed: sent to notify.slack; notify.teams skips it (events filter)',
  );
  expect(lines).toContain('notify rolled-back: sent to notify.slack, notify.teams');
  expect(lines.filter((l) => l.includes(' ← '))).toEqual([
    '   slack ← Verification failed: red 0.2.0 in staging · Version: 0.1.0 → 0.2.0',
    '   slack ← red rolled back in staging from 0.2.0 to 0.1.0 · Version: 0.2.0 → 0.1.0',
    '   teams ← red rolled back in staging from 0.2.0 to 0.1.0 · Version: 0.2.0 → 0.1.0',
  ]);
  expect(lines).toContainEqual(expect.stringMatching(/^ {11}Failing check: unhealthy: http 127\.0\.0\.1:/));
  expect(lines.filter((l) => /^ {11}Why: verification failed: http 127\.0\.0\.1:/.test(l))).toHaveLength(2);
  // GitHub Deployments: the bad release's ends inactive, the restored one's success, at the config's URL.
  expect(lines.filter((l) => l.startsWith('GitHub Deployment #'))).toEqual([
    expect.stringMatching(
      /^GitHub Deployment #\d+ red 0\.1\.0: in_progress(?: → success)+ \(http:\/\/127\.0\.0\.1:\d+\/staging\/red\)$/,
    ),
    expect.stringMatching(
      /^GitHub Deployment #\d+ red 0\.2\.0: in_progress → failure → inactive \(http:\/\/127\.0\.0\.1:\d+\/staging\/red\)$/,
    ),
  ]);
  // The rollback is one commit on staging's branch; 0.2.0's quarantine entry makes promote refuse it.
  expect(
    git(
      result.origin,
      'log',
      '-1',
      '--format=%(trailers:key=Sd-Rollback-Of,valueonly)',
      'gitops/staging-releases',
      '--grep=^rollback',
    ),
  ).toContain('0.2.0');

  const tooWide = lines.flatMap((l) => l.split('\n')).filter((l) => [...l].length > 120);
  expect(tooWide).toEqual([]);

  // Every promotion is one commit with trailers on the environment branch: the deployment ledger.
  const ledger = git(result.origin, 'log', '--format=%s', 'gitops/production-releases');
  expect(ledger.split('\n').filter((l) => l.startsWith('promote('))).toEqual([
    'promote(green): 1.4.0 to production',
    'promote(blue): 1.6.0 to production',
  ]);
  // … and each verdict too.
  const verdicts = git(
    result.origin,
    'log',
    '--format=%(trailers:key=Sd-Verification,valueonly)',
    'gitops/production-releases',
  );
  expect(verdicts.split('\n').filter(Boolean)).toEqual(['healthy', 'healthy']);
  // Production requires 2 approvals: promote counted them again and recorded who gave them.
  const approvedBy = git(
    result.origin,
    'log',
    '--format=%(trailers:key=Sd-Approved-By,valueonly)',
    'gitops/production-releases',
  );
  expect(approvedBy.split('\n').filter(Boolean)).toEqual(['carol, dave', 'alice, carol']);
});

test('npm run status prints the same matrix from the command line', () => {
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', 'packages/cli/src/cli.ts', 'status', '--repo', result.work],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  const lines = out.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^service\s+dev\s+staging\s+production$/);
  // The hotfix went straight into staging: not "behind dev" (issue 10); production is behind by version.
  expect(lines.find((l) => l.startsWith('blue '))).toMatch(
    /1\.6\.1 [0-9a-f]{12} .*dave diverged from dev .*1\.6\.0 [0-9a-f]{12} .*bob ⚠ behind staging$/,
  );
  const json = JSON.parse(
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'packages/cli/src/cli.ts', 'status', '--json', '--repo', result.work],
      { cwd: ROOT, encoding: 'utf8' },
    ),
  ) as { service: string }[];
  expect(json.map((r) => r.service)).toEqual(['blue', 'green', 'yellow', 'red']);
  const bad = (() => {
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'packages/cli/src/cli.ts', 'status', '--bogus'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: 'pipe',
      });
      return '';
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
  })();
  expect(bad).toContain("sd-actions: Unknown option '--bogus'");
});
