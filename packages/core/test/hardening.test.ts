/**
 * Issue 8 (half-done promotions): everything a promotion would trip over half-way is refused at
 * config load or in policy, before the first write.
 */
import { describe, expect, test } from '@jest/globals';
import {
  checkPromotion,
  gitRefNameProblem,
  parseConfig,
  UserError,
  validatedEntry,
  type PromotionFacts,
} from '../src/index.js';

async function configError(text: string): Promise<UserError> {
  for (const fast of [true, false]) {
    try {
      await parseConfig(text, '.github/sd-actions.yml', { fast });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      if (!fast) return err;
      continue;
    }
    throw new Error(`expected a config error (fast: ${fast})`);
  }
  throw new Error('unreachable');
}

describe('git ref-name rules (check-ref-format semantics)', () => {
  test.each([
    ['blue/1.6.0', undefined],
    ['release/blue-1.6', undefined],
    ['a..b/1.0.0', 'contains ".."'],
    ['api.lock/1.0.0', 'ending with ".lock"'],
    ['.hidden/1.0.0', 'starting with "."'],
    ['a/b.', 'ends with "."'],
    ['a b/1', 'space'],
    ['a~1', '"~"'],
    ['a^1', '"^"'],
    ['a:1', '":"'],
    ['a?', '"?"'],
    ['a*', '"*"'],
    ['a[1', '"["'],
    ['a\\b', '"\\\\"'],
    ['a@{1}', '"@{"'],
    ['@', '"@"'],
    ['a//b', 'empty path component'],
    ['/a', 'empty path component'],
    ['a/', 'empty path component'],
    ['a\u0001b', 'control'],
  ])('%j', (name, problem) => {
    if (problem === undefined) expect(gitRefNameProblem(name)).toBeUndefined();
    else expect(gitRefNameProblem(name)).toContain(problem);
  });
});

describe('config: names and paths that would fail half-way', () => {
  test.each(['api.lock', 'a..b'])('service %j cannot form a git tag: config error at load', async (name) => {
    const err = await configError(`services:\n  ${name}: { path: p, image: svc }\n`);
    expect(err.message).toContain(`services.${name}`);
    expect(err.message).toContain('not a valid git ref name');
    expect(err.line).toBe(2);
  });

  test('a release branch template that makes an invalid ref for one service', async () => {
    const err = await configError(
      `services:\n  blue: { path: p }\n  x.: { path: q }\ngit: { releaseBranch: "release/{service}" }\n`,
    );
    expect(err.message).toMatch(
      /services\.x\.: "x\." (is not a valid service name|cannot be a service name)/,
    );
  });

  test.each([
    ['.git/{environment}.yaml', 'inside .git/'],
    ['a/.GIT/{environment}.yaml', 'inside .git/'],
    ['/etc/{environment}.yaml', 'absolute'],
    ['../{environment}.yaml', 'escapes the repository'],
    ['m/../../{environment}.yaml', 'escapes the repository'],
    ['m/*.yaml', 'glob'],
  ])('manifests: %j is a config error naming the template as written', async (manifests, problem) => {
    const err = await configError(
      `services: { blue: { path: p } }\nmanifests: ${JSON.stringify(manifests)}\n`,
    );
    expect(err.message).toContain('manifests');
    expect(err.message).toContain(problem);
    expect(err.message).toContain(JSON.stringify(manifests));
    expect(err.message).not.toContain('\u0001');
  });

  test('manifests: a valid template is normalised and keeps its placeholder', async () => {
    const config = await parseConfig('services: { blue: { path: p } }\nmanifests: ./m//{environment}.yaml\n');
    expect(config.manifests).toBe('m/{environment}.yaml');
  });

  test('an unknown key is reported at the key, not its value', async () => {
    const err = await configError('services:\n  blue:\n    path: p\n    dependson:\n      - libs/x\n');
    expect(err.message).toContain('services.blue.dependson: unknown key (did you mean "dependsOn"?)');
    expect(err.line).toBe(4);
  });

  test('an alias bomb is a clear config error', async () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 6; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const err = await configError(`${lines.join('\n')}\nservices: { blue: { path: p } }\n`);
    expect(err.message).toContain('too many YAML alias expansions');
  });

  test('acceptBuilds defaults: entry true, next hotfix, further false; explicit values read', async () => {
    const config = await parseConfig('services: { blue: { path: p } }\n');
    expect(config.environments.get('dev')?.acceptBuilds).toBe(true);
    expect(config.environments.get('staging')?.acceptBuilds).toBe('hotfix');
    expect(config.environments.get('production')?.acceptBuilds).toBe(false);
    const explicit = await parseConfig(
      'services: { blue: { path: p } }\nenvironments:\n  dev: {}\n  prod: { from: dev, acceptBuilds: true }\n',
    );
    expect(explicit.environments.get('prod')?.acceptBuilds).toBe(true);
    const err = await configError(
      'services: { blue: { path: p } }\nenvironments:\n  dev: {}\n  prod: { from: dev, acceptBuilds: yes please }\n',
    );
    expect(err.message).toContain('environments.prod.acceptBuilds');
  });
});

describe('policy: the chain and ref names', () => {
  const D1 = `sha256:${'1'.repeat(64)}`;
  const C1 = 'c'.repeat(40);
  let config: Awaited<ReturnType<typeof parseConfig>>;
  const facts = (over: Partial<PromotionFacts>): PromotionFacts => ({
    service: 'blue',
    from: 'staging',
    to: config.environments.get('production')!,
    version: '1.6.1',
    artifact: {
      digest: D1,
      image: 'r/blue',
      commit: C1,
      version: '1.6.1',
      promotedAt: '2026-01-01T00:00:00Z',
    },
    allowDowngrade: false,
    now: new Date('2026-01-20T10:00:00Z'),
    ...over,
  });
  const rules = (f: PromotionFacts) => checkPromotion(f).refusals.map((r) => r.rule);

  test('setup', async () => {
    config = await parseConfig('services: { blue: { path: p } }\n');
  });

  test('from other than the configured one is refused, naming the rule', () => {
    expect(rules(facts({}))).toEqual([]);
    const v = checkPromotion(facts({ from: 'dev' }));
    expect(v.refusals.map((r) => r.rule)).toContain('chain-order');
    expect(v.refusals[0]!.message).toContain('environments.production.from');
  });

  test('a build straight into production is refused; into staging only as a hotfix', () => {
    const build = { from: undefined, artifact: { digest: D1, image: 'r/blue', commit: C1 } };
    expect(rules(facts(build))).toContain('chain-from-build');
    const staging = config.environments.get('staging')!;
    expect(rules(facts({ ...build, to: staging }))).toContain('chain-from-build');
    expect(rules(facts({ ...build, to: staging, buildOnReleaseBranch: true }))).toEqual([]);
    expect(
      rules(facts({ ...build, to: staging, buildOnReleaseBranch: true, version: 'sha-ccccccc' })),
    ).toContain('chain-from-build');
    expect(rules(facts({ ...build, to: config.environments.get('dev')!, version: 'sha-ccccccc' }))).toEqual(
      [],
    );
  });

  test('a release tag or branch git would refuse is a policy refusal', () => {
    expect(rules(facts({ tagName: 'a..b/1.6.1' }))).toContain('ref-name');
    expect(rules(facts({ releaseBranch: 'release/api.lock' }))).toContain('ref-name');
  });
});

describe('manifest values are validated like inputs before promoting onwards', () => {
  const where = { file: 'gitops/dev:release-manifests/dev.yaml', service: 'blue', image: 'r/blue' };
  const good = {
    version: 'sha-ccccccc',
    image: 'r/blue',
    digest: `sha256:${'1'.repeat(64)}`,
    commit: 'c'.repeat(40),
    promotedAt: '2026-01-01T00:00:00Z',
  };
  test('a good entry passes; an empty one is no artifact', () => {
    expect(validatedEntry(good, where)).toMatchObject({ digest: good.digest, commit: good.commit });
    expect(validatedEntry({ version: '1.0.0' }, where)).toBeUndefined();
  });
  test.each([
    ['digest', 'dev'],
    ['digest', undefined],
    ['commit', 'abc1234'],
    ['version', 'latest'],
    ['image', 'evil.example/blue'],
    ['promotedAt', 'yesterday'],
  ])('%s: %j is refused naming the file and key', (field, value) => {
    expect(() => validatedEntry({ ...good, [field]: value }, where)).toThrow(
      `${where.file}: services.blue.${field}:`,
    );
  });
});
