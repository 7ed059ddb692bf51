/**
 * The status view end to end: ledgers made by the real writers (updateManifest promotions,
 * recordVerification verdicts, a rollback commit that quarantines with addQuarantine) on real git
 * branches; open approval requests through the real Octokit client against the OpenAPI-validated
 * GitHub fake; the real CLI (`npm run status`) for the matrix, `--history` and `--html`; and the
 * page loaded in a real headless Chromium, asserting what a person sees.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import {
  addQuarantine,
  compareToFrom,
  escapeHtml,
  parseConfig,
  promoteInManifest,
  rollbackMessage,
  type Config,
} from '@sd-actions/core';
import { ScratchRepo } from '@sd-actions/git';
import { ensureRequest, createGitHubClient } from '@sd-actions/github';
import { recordVerification, updateManifest } from '@sd-actions/gitops';
import {
  commit,
  git,
  originAndClone,
  removeDir,
  ROOT,
  startGitHubFake,
  tempDir,
  type GitHubFake,
} from '@sd-actions/testkit';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const CONFIG_YAML = 'services:\n  blue: { path: blue }\n  red: { path: red }\n';
const EVIL = '<script>document.title="pwned"</script> health check failed';

let root: string;
let origin: string;
let work: string;
let gh: GitHubFake;
let config: Config;
const src: Record<string, string> = {};

const run = promisify(execFile);
async function cli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const cleanEnv = { ...process.env, GITHUB_TOKEN: undefined, GITHUB_REPOSITORY: undefined, ...env };
  try {
    const r = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'packages/cli/src/cli.ts'), 'status', '--repo', work, ...args],
      { cwd: ROOT, encoding: 'utf8', env: cleanEnv },
    );
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  root = tempDir('status-view-');
  ({ origin, work } = originAndClone(root));
  // Source history: main c1 → c2; a hotfix line from c1 (h1), not merged into main.
  src.c1 = commit(work, 'config and services', {
    '.github/sd-actions.yml': CONFIG_YAML,
    'blue/app.txt': '1',
    'red/app.txt': '1',
  });
  src.c2 = commit(work, 'blue and red: change', { 'blue/app.txt': '2', 'red/app.txt': '2' });
  git(work, 'checkout', '-q', '-b', 'hotfix/1.6', src.c1);
  src.h1 = commit(work, 'blue: hotfix', { 'blue/app.txt': '1.1' });
  git(work, 'checkout', '-q', 'main');
  git(work, 'push', '-q', 'origin', 'main', 'hotfix/1.6');
  config = await parseConfig(CONFIG_YAML);

  const repo = await ScratchRepo.open({ url: origin });
  try {
    const env = (name: string) => config.environments.get(name)!;
    const promote = (
      service: string,
      environment: string,
      version: string,
      digest: string,
      commitSha: string,
      extra: { from?: string; by?: string; override?: { override: string; overrideReason: string } } = {},
    ) =>
      updateManifest({
        repo,
        config,
        service: config.services.get(service)!,
        environment: env(environment),
        promotion: {
          version,
          image: `registry.example/${service}`,
          digest,
          commit: commitSha,
          promotedAt: '2026-11-20T10:00:00Z',
          promotedBy: extra.by ?? 'alice',
        },
        ...(extra.from ? { fromEnvironment: extra.from } : {}),
        ...(extra.override ? { override: extra.override } : {}),
        runUrl: 'https://github.com/acme/shop/actions/runs/11',
      });
    const verify = (
      environment: string,
      service: string,
      version: string,
      digest: string,
      result: 'healthy' | 'unhealthy',
    ) =>
      recordVerification({
        repo,
        config,
        environment: env(environment),
        record: {
          service,
          environment,
          version,
          digest,
          verification: result,
          runUrl: 'https://github.com/acme/shop/actions/runs/12',
          reason: `${result} by test`,
        },
      });

    await promote('blue', 'dev', `sha-${src.c2.slice(0, 7)}`, D('2'), src.c2);
    await promote('red', 'dev', `sha-${src.c2.slice(0, 7)}`, D('4'), src.c2);
    // A hotfix straight into staging: built from the hotfix line, not from what dev runs.
    await promote('blue', 'staging', '1.6.1', D('5'), src.h1, { by: 'dave' });
    await verify('staging', 'blue', '1.6.1', D('5'), 'healthy');
    // red in staging was built from c1; dev runs c2, which contains it: behind.
    await promote('red', 'staging', '3.0.0', D('3'), src.c1, { from: 'dev' });
    // production: 1.6.0 verified, then 1.7.0 promoted with an override, found unhealthy, rolled back, quarantined.
    await promote('blue', 'production', '1.6.0', D('6'), src.c1, { from: 'staging', by: 'bob' });
    await verify('production', 'blue', '1.6.0', D('6'), 'healthy');
    await promote('blue', 'production', '1.7.0', D('7'), src.c2, {
      from: 'staging',
      by: 'carol',
      override: { override: 'min-soak', overrideReason: 'customer fix' },
    });
    await verify('production', 'blue', '1.7.0', D('7'), 'unhealthy');
    const branch = env('production').branch;
    const path = 'release-manifests/production.yaml';
    const tip = await repo.fetchBranch(branch);
    const text = (await repo.readFile(tip!, path))!;
    const restored = promoteInManifest(text, path, 'production', 'blue', {
      version: '1.6.0',
      image: 'registry.example/blue',
      digest: D('6'),
      commit: src.c1,
      promotedAt: '2026-11-21T10:00:00Z',
      promotedBy: 'rollback-bot',
    }).text;
    const quarantined = addQuarantine(restored, path, {
      service: 'blue',
      version: '1.7.0',
      digest: D('7'),
      at: '2026-11-21T10:00:00Z',
      reason: EVIL,
      by: 'rollback-bot',
    }).text;
    const next = await repo.commitFiles(
      tip,
      { [path]: quarantined },
      rollbackMessage({
        service: 'blue',
        environment: 'production',
        version: '1.6.0',
        previousVersion: '1.7.0',
        digest: D('6'),
        reason: 'verify-deployment: unhealthy',
        actor: 'rollback-bot',
      }),
    );
    expect(await repo.push(next!, branch)).toEqual({ ok: true });
  } finally {
    await repo.dispose();
  }

  gh = await startGitHubFake();
  gh.addToken('bot-token', 'sd-bot');
  gh.addRepo('acme/shop', { collaborators: { alice: 'write' } });
  const client = createGitHubClient({ token: 'bot-token', baseUrl: gh.url });
  await ensureRequest(
    client,
    { owner: 'acme', repo: 'shop' },
    {
      binding: {
        service: 'blue',
        environment: 'production',
        version: '1.7.1',
        digest: D('8'),
        requester: 'dave',
        triggeringActor: 'dave',
        run: 'https://github.com/acme/shop/actions/runs/13',
        from: 'staging',
        requestedAt: '2026-11-22T09:00:00Z',
      },
      body: { count: 2, approvers: ['alice', 'bob'] },
      gateLogin: 'sd-bot',
    },
  );
});

afterAll(async () => {
  await gh?.stop();
  if (process.env.SD_KEEP) console.log(root);
  else removeDir(root);
});

interface JsonCell {
  environment: string;
  entry?: { version: string };
  drift: string;
  behind: boolean;
  mark?: string;
  quarantined: { version: string; reason: string }[];
  pending: { version: string; number: number }[];
}

describe('status matrix', () => {
  test('JSON: versions, marks, quarantine, pending requests and drift by version and ancestry', async () => {
    const r = await cli([
      '--json',
      '--token',
      'bot-token',
      '--github-repo',
      'acme/shop',
      '--api-url',
      gh.url,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { service: string; cells: JsonCell[] }[];
    const cell = (service: string, env: string) =>
      rows.find((x) => x.service === service)!.cells.find((c) => c.environment === env)!;
    expect(cell('blue', 'staging')).toMatchObject({ entry: { version: '1.6.1' }, mark: 'healthy' });
    // The hotfix went straight into staging: it does not read "behind dev".
    expect(cell('blue', 'staging')).toMatchObject({ drift: 'diverged', behind: false });
    expect(cell('red', 'staging')).toMatchObject({ drift: 'behind', behind: true, mark: 'unverified' });
    expect(cell('blue', 'production')).toMatchObject({
      entry: { version: '1.6.0' },
      mark: 'healthy',
      drift: 'behind',
      quarantined: [{ version: '1.7.0', reason: EVIL }],
      pending: [{ version: '1.7.1', number: 1 }],
    });
    expect(cell('red', 'production')).toMatchObject({
      drift: 'missing',
      behind: true,
      quarantined: [],
      pending: [],
    });
    expect(cell('blue', 'dev')).toMatchObject({ drift: 'none', mark: 'unverified' });
    expect(gh.violations).toEqual([]);
  });

  test('text: marks and details; approvals skipped quietly without a token', async () => {
    const r = await cli([]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^service\s+dev\s+staging\s+production$/);
    const blue = lines.find((l) => l.startsWith('blue '))!;
    expect(blue).toContain('1.6.1 555555555555 verified ✓ dave diverged from dev');
    expect(blue).toContain('1.6.0 666666666666 verified ✓ rollback-bot ⚠ behind staging ⛔1');
    expect(lines.find((l) => l.startsWith('red '))).toContain(
      '3.0.0 333333333333 unverified alice ⚠ behind dev',
    );
    expect(r.stdout).toContain(
      `⛔ blue 1.7.0 quarantined in production at 2026-11-21T10:00:00Z by rollback-bot: ${EVIL}`,
    );
    expect(r.stdout).toContain('Approval requests not checked');
    expect(r.stdout).not.toContain('⏳ blue');
    expect(r.stderr).toBe('');
  });

  test('a wrong --history service or --environment is a clear error', async () => {
    const r = await cli(['--history', 'purple']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--history "purple" is not a service in the config; services: blue, red');
    const e = await cli(['--history', 'blue', '--environment', 'qa']);
    expect(e.stderr).toContain('--environment "qa" is not an environment in the config');
  });
});

describe('status --history', () => {
  test('text: the ledger of one service in one environment, newest first, with who and when', async () => {
    const r = await cli(['--history', 'blue', '--environment', 'production']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('blue in production (newest first):');
    const kinds = lines.slice(1).map((l) => l.split(/\s+/)[1]);
    expect(kinds).toEqual(['rollback', 'verification', 'promotion', 'override', 'verification', 'promotion']);
    expect(lines[1]).toMatch(
      /rollback\s+blue\s+rollback-bot\s+[0-9a-f]{12}\s+rolled back from 1\.7\.0 to 1\.6\.0/,
    );
    expect(lines[3]).toMatch(/promotion\s+blue\s+carol\s+.*promoted 1\.7\.0 from staging \(was 1\.6\.0\)/);
    expect(lines[4]).toContain('overrode min-soak: customer fix');
    expect(lines[5]).toContain('1.6.0 verified healthy');
  });

  test('JSON, every environment', async () => {
    const r = await cli(['--history', 'blue', '--json']);
    expect(r.code).toBe(0);
    const blocks = JSON.parse(r.stdout) as {
      environment: string;
      rows: { kind: string; actor?: string; date: string }[];
    }[];
    expect(blocks.map((b) => [b.environment, b.rows.map((x) => x.kind)])).toEqual([
      ['dev', ['promotion']],
      ['staging', ['verification', 'promotion']],
      ['production', ['rollback', 'verification', 'promotion', 'override', 'verification', 'promotion']],
    ]);
    expect(blocks[1]!.rows[1]).toMatchObject({ actor: 'dave' });
    expect(blocks[1]!.rows[1]!.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});

describe('status --html', () => {
  test('one self-contained page; Chromium shows the matrix, marks, quarantine, timeline; values stay text', async () => {
    const file = join(root, 'status.html');
    const r = await cli([
      '--html',
      file,
      '--token',
      'bot-token',
      '--github-repo',
      'acme/shop',
      '--api-url',
      gh.url,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain(escapeHtml(EVIL));

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(pathToFileURL(file).href);
      expect(requests).toEqual([pathToFileURL(file).href]);
      expect(await page.title()).toBe('sd-actions status');
      const cell = (service: string, env: string) =>
        page.locator(`table.matrix tr:has(th:text-is("${service}")) td[data-environment="${env}"]`);
      const prod = await cell('blue', 'production').innerText();
      expect(prod).toContain('1.6.0');
      expect(prod).toContain('verified ✓');
      expect(prod).toContain('⚠ behind staging');
      expect(prod).toContain(`⛔ 1.7.0 quarantined: ${EVIL}`);
      expect(prod).toContain('⏳ 1.7.1 awaits approval (#1), asked by dave');
      expect(await cell('blue', 'staging').innerText()).toContain('diverged from dev');
      expect(await cell('red', 'staging').innerText()).toContain('unverified');
      expect(await cell('red', 'production').innerText()).toContain('—');
      // The quarantine reason's <script> is text on the page, never an element that ran.
      expect(await page.locator('script').count()).toBe(0);
      expect(await page.title()).not.toBe('pwned');
      const timeline = page.locator('section.ledger[data-environment="production"] li');
      expect(await timeline.count()).toBe(6);
      expect(await timeline.first().innerText()).toMatch(
        /^Rollback blue: rolled back from 1\.7\.0 to 1\.6\.0: verify-deployment: unhealthy by rollback-bot/,
      );
      expect(await page.locator('section.ledger[data-environment="dev"] li').count()).toBe(2);
    } finally {
      await browser.close();
    }
  });
});

test('compareToFrom: by version first, then ancestry; unknown stays unknown', () => {
  const e = (version: string, digest: string, commit?: string) => ({
    version,
    digest,
    ...(commit ? { commit } : {}),
  });
  expect(compareToFrom(e('1.6.1', D('1')), e('1.7.0', D('2')))).toBe('behind');
  expect(compareToFrom(e('1.6.2', D('1')), e('1.6.1', D('2')))).toBe('ahead');
  expect(compareToFrom(e('1.6.2', D('1'), 'a'), e('sha-1234567', D('2'), 'b'))).toBe('differs');
  expect(compareToFrom(e('1.6.2', D('1'), 'a'), e('sha-1234567', D('2'), 'b'), () => false)).toBe('diverged');
  expect(compareToFrom(e('1.6.2', D('1'), 'a'), e('sha-1234567', D('2'), 'b'), (x) => x === 'a')).toBe(
    'behind',
  );
  expect(compareToFrom(undefined, e('1.0.0', D('1')))).toBe('missing');
  expect(compareToFrom(e('1.0.0', D('1')), e('2.0.0', D('1')))).toBe('in-sync');
  expect(compareToFrom(e('1.0.0', D('1')), undefined)).toBe('none');
});
