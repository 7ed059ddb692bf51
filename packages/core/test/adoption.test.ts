/** The pure parts of adoption: abbreviations get a "did you mean", overrides, login plans, shared registries. */
import { describe, expect, test } from '@jest/globals';
import {
  applyOverrides,
  assertSharedRegistry,
  closest,
  explainPromotionFailure,
  loginPlan,
  overrideRecord,
  parseConfig,
  registryHost,
  requireEnvironment,
  validateOverride,
  type Verdict,
} from '../src/index.js';

const config = await parseConfig(`
services: { blue: { path: projects/blue } }
environments:
  dev: { tags: [dev] }
  staging: { from: dev, tags: ["{version}"] }
  production: { from: staging, tags: ["{version}"], minSoak: 24h }
`);

describe('unknown environments get a "did you mean"', () => {
  test.each([
    ['prod', 'production'],
    ['stg', 'staging'],
    ['stagin', 'staging'],
    ['PROD', 'production'],
    ['qa', undefined],
    ['xyz', undefined],
  ])('%s → %s', (word, hint) => {
    expect(closest(word, [...config.environments.keys()])).toBe(hint);
  });

  test('requireEnvironment names the input, the hint and the choices', () => {
    expect(() => requireEnvironment(config, 'prod', 'to')).toThrow(
      'Input "to": "prod" is not an environment in .github/sd-actions.yml (did you mean "production"?); expected one of dev, staging, production',
    );
  });
});

describe('override-soak', () => {
  const soak = {
    rule: 'min-soak',
    message: 'blue reached staging 5m ago; production requires 24h (minSoak)',
  };
  const other = { rule: 'no-downgrade', message: 'lower' };
  const verdict: Verdict = { refusals: [soak, other], warnings: [], alreadyDone: false };

  test('passes the soak rule only, and records it', () => {
    const request = validateOverride({ soak: true, reason: ' INC-1\nline two ' });
    expect(request.reason).toBe('INC-1 line two');
    const out = applyOverrides(verdict, request, 'production');
    expect(out.refusals).toEqual([other]);
    expect(out.overridden).toEqual([soak]);
    expect(overrideRecord(out.overridden, request)).toEqual({
      override: 'min-soak',
      overrideReason: 'INC-1 line two',
    });
  });

  test('without it, the soak refusal names the input and the setting', () => {
    const out = applyOverrides(verdict, validateOverride({ soak: false }), 'production');
    expect(out.refusals[0]!.message).toMatch(
      /override-soak: true and a reason .*soakPolicy: warn on environments\.production$/,
    );
    expect(out.refusals[1]).toEqual(other);
    expect(overrideRecord(out.overridden, { soak: false })).toEqual({});
  });

  test.each([
    [{ soak: true }, /"reason" is required/],
    [{ soak: true, reason: '\n' }, /"reason" is required/],
    [{ soak: false, reason: 'x' }, /only used with "override-soak: true"/],
  ])('%o is refused', (input, message) => {
    expect(() => validateOverride(input)).toThrow(message);
  });
});

describe('registry login plans', () => {
  test.each([
    ['ghcr.io/acme', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['registry.example:5000/team/x', 'registry.example:5000'],
  ])('%s logs in to %s', (url, host) => expect(registryHost(url)).toBe(host));

  test('by registry type', () => {
    expect(loginPlan({ type: 'oci', url: 'ghcr.io/acme', insecure: false }, true)).toEqual({
      kind: 'oci',
      host: 'ghcr.io',
    });
    expect(loginPlan({ type: 'oci', url: 'ghcr.io/acme', insecure: false }, false).kind).toBe('skip');
    expect(
      loginPlan({ type: 'ecr', url: '1.dkr.ecr.us-east-1.amazonaws.com', insecure: false }, false),
    ).toEqual({
      kind: 'ecr',
      host: '1.dkr.ecr.us-east-1.amazonaws.com',
    });
    expect(loginPlan({ type: 'oci-layout', url: '.sd-actions/registry', insecure: false }, true).kind).toBe(
      'skip',
    );
  });
});

describe('a workspace-local oci-layout registry inside GitHub Actions', () => {
  test.each([
    ['.sd-actions/registry', true],
    ['/ws/build/registry', true],
    ['/srv/shared/registry', false],
  ])('%s refused: %s', async (url, refused) => {
    const c = await parseConfig(
      `registry: { type: oci-layout, url: ${url} }\nservices: { blue: { path: b } }\n`,
    );
    const check = () => assertSharedRegistry(c, '.github/sd-actions.yml', '/ws');
    if (refused) expect(check).toThrow(/is a directory in this job's workspace.*Configure a real registry/);
    else expect(check).not.toThrow();
  });
});

describe('permission failures point at the permission', () => {
  const github403 =
    "git push failed (exit 128): remote: Permission to acme/mono.git denied to github-actions[bot]. / fatal: unable to access 'https://github.com/acme/mono.git/': The requested URL returned error: 403";
  test('a refused push names contents: write and what already changed', () => {
    const text = explainPromotionFailure(github403, 'oci', {
      stage: 'push',
      done: ['registry tags prd → sha256:1'],
    });
    expect(text).toContain('`permissions: contents: write`');
    expect(text).toContain('Already changed: registry tags prd → sha256:1');
    expect(text).toContain('re-run completes the promotion');
  });
  test.each([
    ['oci', 'packages: write'],
    ['ecr', 'ecr:PutImage'],
  ] as const)('a %s registry 401/403 names %s', (type, what) => {
    expect(
      explainPromotionFailure('ghcr.io: PUT /v2/acme/blue/manifests/prd was refused: 403 DENIED', type, {
        stage: 'registry',
        done: [],
      }),
    ).toContain(what);
  });
  test('other failures are left alone', () => {
    expect(
      explainPromotionFailure('ENOSPC: no space left', 'oci', { stage: 'push', done: [] }),
    ).toBeUndefined();
  });
});
