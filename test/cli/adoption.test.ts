/**
 * The README's adoption steps on a fresh sample monorepo, through the CLI and the committed
 * bundles: `sd-actions init` proposes the config and writes the callers, `validate` and `check`
 * are green, then the first release runs as release.yml would (detect → build once → dev) and a
 * promotion to staging. Then the drift `check` and `validate` exist to catch.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import {
  commit,
  git,
  originAndClone,
  removeDir,
  ROOT,
  runAction,
  tempDir,
  writeFiles,
} from '@sd-actions/testkit';

let root: string;
let origin: string;
let work: string;
let registryDir: string;

function cli(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'packages/cli/src/cli.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const BUILD_COMMAND = 'node --import "$SD_DEMO_TSX" "$SD_DEMO_BUILDER"';
const BUILD_ENV = {
  SD_DEMO_TSX: pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
  SD_DEMO_BUILDER: join(ROOT, 'packages', 'testkit', 'src', 'bin', 'build-sample-image.ts'),
};

beforeAll(() => {
  root = tempDir('adoption-');
  registryDir = join(root, 'shared-registry'); // outside the workspace, as a real registry would be
  ({ origin, work } = originAndClone(root));
  commit(work, 'the monorepo', {
    'services/blue/Dockerfile': 'FROM scratch\n',
    'services/blue/main.go': 'package main\n',
    'services/green/Dockerfile': 'FROM scratch\n',
    'services/green/main.go': 'package main\n',
    'apps/web/Dockerfile': 'FROM scratch\n',
    'apps/web/index.html': '<p>hi</p>\n',
    'libs/common/util.go': 'package common\n',
    'package-lock.json': '{}\n',
    'docs/README.md': '# docs\n',
    'node_modules/x/Dockerfile': 'ignored\n',
  });
  git(work, 'push', '-q', 'origin', 'main');
});
afterAll(() => removeDir(root));

describe('adoption, as the README tells it', () => {
  test('1. init proposes the config and writes the callers with the service choices', () => {
    const r = cli('init', '--repo', work, '--owner', 'acme', '--registry', `oci-layout:${registryDir}`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'Found 3 service(s): web (apps/web), blue (services/blue), green (services/green)',
    );
    const config = parse(readFileSync(join(work, '.github/sd-actions.yml'), 'utf8'));
    expect(config.services).toEqual({
      web: { path: 'apps/web' },
      blue: { path: 'services/blue' },
      green: { path: 'services/green' },
    });
    expect(config.shared).toEqual(['package-lock.json', 'libs/**']);
    for (const name of ['hotfix', 'promote-to-production', 'promote-to-staging']) {
      const text = readFileSync(join(work, `.github/workflows/${name}.yml`), 'utf8');
      expect(parse(text).on.workflow_dispatch.inputs.service.options).toEqual(['web', 'blue', 'green']);
    }
    const release = readFileSync(join(work, '.github/workflows/release.yml'), 'utf8');
    expect(release).toContain('uses: acme/sd-actions/.github/workflows/release-dev.yml@v1');
    expect(release).not.toMatch(/\borg\/sd-actions/);
    // A second init writes nothing over what is there.
    const again = cli('init', '--repo', work, '--owner', 'acme');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /\.github\/sd-actions\.yml, .* already exist\(s\) .*nothing was written \(--force overwrites\)/,
    );
  });

  test('2. validate and check are green', () => {
    const v = cli('validate', '--repo', work);
    expect([v.code, v.stdout.trim()]).toEqual([
      0,
      '.github/sd-actions.yml: valid; 3 service(s), every path exists.',
    ]);
    const c = cli('check', '--repo', work, '--ref', 'v1');
    expect(c.stderr).toBe('');
    expect(c.stdout.trim()).toBe(
      '6 caller workflow(s) agree with .github/sd-actions.yml (services, environments, sd-actions @v1).',
    );
    expect(c.code).toBe(0);
  });

  test('3. the first release runs through the bundles: detect → build once → dev → staging', async () => {
    commit(work, 'ci: sd-actions');
    git(work, 'push', '-q', 'origin', 'main');
    const sha = git(work, 'rev-parse', 'HEAD');
    const env = { ...BUILD_ENV };
    const detect = await runAction('detect-changed-service', {
      workspace: work,
      event: 'workflow_dispatch',
      sha,
      env,
    });
    expect(detect.code).toBe(0);
    const services = JSON.parse(detect.outputs.services!) as string[];
    expect(services).toEqual(['blue', 'green', 'web']);
    for (const service of services) {
      const build = await runAction('build-once-tag', {
        workspace: work,
        sha,
        inputs: { service, 'build-command': BUILD_COMMAND },
        env,
      });
      expect([service, build.code, build.outputs.built]).toEqual([service, 0, 'true']);
      const dev = await runAction('promote', {
        actionDir: 'promote',
        workspace: work,
        sha,
        inputs: { service, to: 'dev', digest: build.outputs.digest!, 'source-commit': sha },
        env,
      });
      expect([service, dev.code]).toEqual([service, 0]);
    }
    const staging = await runAction('promote', {
      actionDir: 'promote',
      workspace: work,
      event: 'workflow_dispatch',
      inputs: { service: 'blue', to: 'staging', version: '1.0.0' },
      env,
    });
    expect(staging.code).toBe(0);
    expect(git(origin, 'show', 'gitops/staging-releases:release-manifests/staging.yaml')).toMatch(
      /blue:\n {4}version: 1\.0\.0\n/,
    );
    expect(git(origin, 'rev-parse', 'blue/1.0.0^{commit}')).toBe(sha);
  });
});

describe('what check and validate catch', () => {
  const configFile = () => join(work, '.github/sd-actions.yml');
  let original: string;
  beforeAll(() => {
    original = readFileSync(configFile(), 'utf8');
  });
  afterAll(() => writeFileSync(configFile(), original));

  test('a service added to the config but not to the callers, with a path that does not exist', () => {
    writeFileSync(
      configFile(),
      original.replace(
        'services:\n',
        'services:\n  red: { path: services/red, dependsOn: [libs/payments, "libs/x/**"] }\n',
      ),
    );
    const v = cli('validate', '--repo', work);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(
      'error: .github/sd-actions.yml: services.red.path: "services/red" does not exist',
    );
    expect(v.stderr).toContain('services.red.dependsOn: "libs/payments" does not exist');
    expect(v.stderr).not.toContain('libs/x/**');
    const c = cli('check', '--repo', work);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(
      'error: .github/workflows/hotfix.yml: on.workflow_dispatch.inputs.service.options lacks red; expected [red, web, blue, green]',
    );
  });

  test('an unknown environment, another pinned ref, a choice the config does not have', () => {
    writeFileSync(configFile(), original);
    const file = join(work, '.github/workflows/promote-to-staging.yml');
    const before = readFileSync(file, 'utf8');
    try {
      writeFileSync(
        file,
        before
          .replace('environment: staging', 'environment: stagin')
          .replace('promote.yml@v1', 'promote.yml@v2')
          .replace('[web, blue, green]', '[web, blue, green, yellow]'),
      );
      const c = cli('check', '--repo', work, '--ref', 'v1');
      expect(c.code).toBe(1);
      expect(c.stderr).toContain(
        'environment: "stagin" is not an environment in .github/sd-actions.yml; expected one of dev, staging, production',
      );
      expect(c.stderr).toContain('names yellow, not in .github/sd-actions.yml');
      expect(c.stderr).toMatch(/the callers pin different sd-actions refs \(v1: 6 use\(s\).*v2: 1 use\(s\)/);
      expect(c.stderr).toContain('pins sd-actions @v2; expected @v1 (--ref)');
    } finally {
      writeFileSync(file, before);
    }
  });
});

describe('the CLI speaks as a CLI', () => {
  test.each([
    [['--help'], 0, /^usage: sd-actions <command> \[options\]/],
    [['check', '--help'], 0, /^usage: sd-actions check \[--repo DIR\]/],
    [['frobnicate'], 2, /unknown command "frobnicate"/],
    [['check', '--owner', 'x'], 2, /--owner is not an option of check/],
    [['init'], 2, /--owner is required/],
    [['validate', '--repo', '/no/such/dir'], 1, /--repo "\/no\/such\/dir": no such directory/],
    [
      ['validate', '--repo', '/tmp', '--config', 'nope.yml'],
      1,
      /--config "nope\.yml": no such file in \/tmp; .*sd-actions init/,
    ],
  ])('%j', (args, code, message) => {
    const r = cli(...(args as string[]));
    expect(r.code).toBe(code);
    expect(`${r.stdout}${r.stderr}`).toMatch(message);
    expect(`${r.stdout}${r.stderr}`).not.toContain('Input "');
  });

  test('a config mistake names the file, line and key', () => {
    const dir = join(root, 'bad');
    writeFiles(dir, { '.github/sd-actions.yml': 'services:\n  blue: { path: blue, imag: x }\n' });
    const r = cli('validate', '--repo', dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /sd-actions: \.github\/sd-actions\.yml.*services\.blue\.imag.*did you mean "image"/,
    );
  });
});
