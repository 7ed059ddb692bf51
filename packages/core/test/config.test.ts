import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import {
  closest,
  environmentChain,
  environmentUrl,
  parseConfig,
  parseDuration,
  UserError,
} from '../src/index.js';

const FULL = `# the example of the project design (DESIGN.md §2.1, outside this repository)
registry:
  type: oci
  url: 127.0.0.1:5000
  insecure: true
services:
  blue:
    path: projects/blue
    image: blue
    dependsOn: [libs/payments]
  green: { path: projects/green }
shared: [package-lock.json, "libs/common/**"]
environments:
  dev:        { branch: gitops/dev-auto-update, tags: [dev] }
  staging:    { from: dev, branch: gitops/staging-releases, tags: ["{version}"] }
  production: { from: staging, branch: gitops/production-releases,
                tags: ["{version}", prd], approvals: 2, minSoak: 24h }
manifests: release-manifests/{environment}.yaml
git:
  tag: "{service}/{version}"
  releaseBranch: "release/{service}-{major}.{minor}"
`;

const schema = JSON.parse(
  readFileSync(join(import.meta.dirname, '../schema/sd-actions.schema.json'), 'utf8'),
) as object;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

async function error(text: string): Promise<UserError> {
  try {
    await parseConfig(text);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('parseConfig', () => {
  test('reads the full example of the design', async () => {
    const config = await parseConfig(FULL);
    expect(config.registry).toEqual({ type: 'oci', url: '127.0.0.1:5000', insecure: true });
    expect([...config.services.values()]).toEqual([
      { name: 'blue', path: 'projects/blue', image: 'blue', dependsOn: ['libs/payments'] },
      { name: 'green', path: 'projects/green', image: 'green', dependsOn: [] },
    ]);
    expect(config.shared).toEqual(['package-lock.json', 'libs/common/**']);
    expect([...config.environments.keys()]).toEqual(['dev', 'staging', 'production']);
    expect(config.environments.get('production')).toMatchObject({
      from: 'staging',
      tags: ['{version}', 'prd'],
      approvals: 2,
      minSoak: '24h',
      minSoakMs: 24 * 3600e3,
      soakPolicy: 'fail',
    });
    expect(environmentChain(config, 'production').map((e) => e.name)).toEqual([
      'dev',
      'staging',
      'production',
    ]);
    expect(validate(parse(FULL))).toBe(true);
  });

  test('fills defaults for everything but services', async () => {
    const config = await parseConfig('services:\n  api: { path: ./services/api/ }\n');
    expect(config.registry).toEqual({ type: 'oci-layout', url: '.sd-actions/registry', insecure: false });
    expect(config.services.get('api')).toEqual({
      name: 'api',
      path: 'services/api',
      image: 'api',
      dependsOn: [],
    });
    expect([...config.environments.keys()]).toEqual(['dev', 'staging', 'production']);
    expect(config.environments.get('production')?.branch).toBe('gitops/production-releases');
    expect(config.manifests).toBe('release-manifests/{environment}.yaml');
    expect(config.git).toEqual({
      tag: '{service}/{version}',
      releaseBranch: 'release/{service}-{major}.{minor}',
    });
    expect(config.environments.get('qa')).toBeUndefined();
    expect(
      (await parseConfig('services: { a: { path: a } }\nenvironments: { qa: {} }')).environments.get('qa')
        ?.branch,
    ).toBe('gitops/qa');
  });

  test('service paths may contain @ + ! ( ) and spaces; dependsOn and shared keep them literal', async () => {
    const c = await parseConfig(`
services:
  ui: { path: ./packages/@acme/ui/, dependsOn: ["packages/@acme/tokens"] }
  cpp: { path: libs/c++, dependsOn: ["libs/x (old)"] }
  legacy: { path: "libs/x (old)" }
  bang: { path: "apps/!important+" }
shared: ["libs/x (old)/shared"]
`);
    expect([...c.services.values()].map((s) => [s.name, s.path, s.dependsOn])).toEqual([
      ['ui', 'packages/@acme/ui', ['packages/@acme/tokens']],
      ['cpp', 'libs/c++', ['libs/x (old)']],
      ['legacy', 'libs/x (old)', []],
      ['bang', 'apps/!important+', []],
    ]);
    expect(c.shared).toEqual(['libs/x (old)/shared']);
    for (const path of ['packages/@acme/ui', 'libs/c++', 'libs/x (old)'])
      expect(validate(parse(`services: { a: { path: ${JSON.stringify(path)} } }`))).toBe(true);
  });

  test.each(['libs/*', 'libs/a?', 'libs/[ab]', 'libs/{a,b}', 'libs/x]', 'libs/x}'])(
    'a service path with %s is rejected as a glob, by the loader and the schema',
    async (path) => {
      const err = await error(`services:\n  a: { path: ${JSON.stringify(path)} }\n`);
      expect(err.message).toBe(
        `.github/sd-actions.yml: services.a.path: ${JSON.stringify(path)} is a glob; expected a directory path (globs go in dependsOn or shared)`,
      );
      expect(err.line).toBe(2);
      expect(validate(parse(`services: { a: { path: ${JSON.stringify(path)} } }`))).toBe(false);
    },
  );

  // Each bad config: the exact message (file, key path, value, expectation) and the line it points at.
  test.each([
    ['not YAML', 'services: [a', /^\.github\/sd-actions\.yml: not valid YAML at line 1/, 1],
    [
      'no services',
      'registry: { type: oci-layout }\n',
      '.github/sd-actions.yml: services: is required; expected a mapping of service name to { path, image?, dependsOn? }',
      1,
    ],
    [
      'empty services',
      'services: {}\n',
      '.github/sd-actions.yml: services: {} is empty; expected at least one service',
      1,
    ],
    [
      'unknown registry type',
      'registry:\n  type: docker\nservices: { a: { path: a } }\n',
      '.github/sd-actions.yml: registry.type: "docker" is not a registry type; expected one of oci-layout, oci, ecr',
      2,
    ],
    [
      'a registry url with a scheme',
      'registry: { type: oci, url: "https://ghcr.io/acme" }\nservices: { a: { path: a } }\n',
      '.github/sd-actions.yml: registry.url: "https://ghcr.io/acme" has a scheme; expected host[:port][/namespace] (set insecure: true for plain http)',
      1,
    ],
    [
      'an ecr url that is not ECR',
      'registry: { type: ecr, url: ghcr.io/acme }\nservices: { a: { path: a } }\n',
      '.github/sd-actions.yml: registry.url: "ghcr.io/acme" is not an ECR registry; expected <account-id>.dkr.ecr.<region>.amazonaws.com',
      1,
    ],
    [
      'a service path that escapes the repo',
      'services:\n  a:\n    path: ../elsewhere\n',
      '.github/sd-actions.yml: services.a.path: "../elsewhere" escapes the repository (".."); expected a path inside the repository',
      3,
    ],
    [
      'an absolute service path',
      'services:\n  a: { path: /etc }\n',
      '.github/sd-actions.yml: services.a.path: "/etc" is absolute; it must be relative to the repository root; expected a path inside the repository',
      2,
    ],
    [
      'a missing path',
      'services:\n  a: { image: a }\n',
      '.github/sd-actions.yml: services.a.path: is required',
      2,
    ],
    [
      'a duplicate image',
      'services:\n  a: { path: a, image: shared }\n  b: { path: b, image: shared }\n',
      '.github/sd-actions.yml: services.b.image: "shared" is already the image of service "a"; each service needs its own image',
      3,
    ],
    [
      'an invalid image name',
      'services:\n  a: { path: a, image: Blue_ }\n',
      '.github/sd-actions.yml: services.a.image: "Blue_" is not a valid image repository name; expected lowercase letters, digits and separators (OCI naming)',
      2,
    ],
    [
      'a typo in a key',
      'services:\n  a: { path: a, dependson: [x] }\n',
      '.github/sd-actions.yml: services.a.dependson: unknown key (did you mean "dependsOn"?); expected one of path, image, dependsOn, verify',
      2,
    ],
    [
      'a dangling from',
      'services: { a: { path: a } }\nenvironments:\n  dev: {}\n  production: { from: stagin }\n',
      '.github/sd-actions.yml: environments.production.from: "stagin" is not a defined environment; expected one of dev, production',
      4,
    ],
    [
      'a from cycle',
      'services: { a: { path: a } }\nenvironments:\n  dev: { from: production }\n  staging: { from: dev }\n  production: { from: staging }\n',
      '.github/sd-actions.yml: environments.dev.from: the promotion chain loops: dev <- production <- staging <- dev; expected a chain that starts at an environment without "from"',
      3,
    ],
    [
      'an environment from itself',
      'services: { a: { path: a } }\nenvironments:\n  dev: { from: dev }\n',
      '.github/sd-actions.yml: environments.dev.from: "dev" is the environment itself; expected an earlier environment',
      3,
    ],
    [
      'a bad duration',
      'services: { a: { path: a } }\nenvironments:\n  dev: { minSoak: tomorrow }\n',
      '.github/sd-actions.yml: environments.dev.minSoak: "tomorrow" is not a duration; expected a number with a unit, like 30m, 24h or 2d',
      3,
    ],
    [
      'an unknown placeholder in a tag',
      'services: { a: { path: a } }\nenvironments:\n  dev: { tags: ["{date}"] }\n',
      '.github/sd-actions.yml: environments.dev.tags.0: "{date}" uses {date}; expected only {service}, {version}, {major}, {minor}, {patch}, {sha}, {environment}',
      3,
    ],
    [
      'a git tag template without {version}',
      'services: { a: { path: a } }\ngit: { tag: "release-{service}" }\n',
      '.github/sd-actions.yml: git.tag: "release-{service}" must contain {version}',
      2,
    ],
    [
      'a branch that is not a ref name',
      'services: { a: { path: a } }\nenvironments:\n  dev: { branch: "gitops/dev..x" }\n',
      '.github/sd-actions.yml: environments.dev.branch: "gitops/dev..x" must not contain ".." or "//"; expected a git branch name',
      3,
    ],
    [
      'approvals that are not a count',
      'services: { a: { path: a } }\nenvironments:\n  dev: { approvals: -1 }\n',
      '.github/sd-actions.yml: environments.dev.approvals: -1 is not a whole number of approvals; expected 0..100',
      3,
    ],
    [
      'a duplicate key',
      'services:\n  a: { path: a }\n  a: { path: b }\n',
      '.github/sd-actions.yml: not valid YAML at line 3, column 3: Map keys must be unique; "a" is repeated (first at line 2)',
      3,
    ],
    [
      'a duplicate key in a flow mapping',
      'services:\n  a: { path: a, image: x, path: b }\n',
      '.github/sd-actions.yml: not valid YAML at line 2, column 27: Map keys must be unique; "path" is repeated (first at line 2)',
      2,
    ],
    [
      'the earliest duplicate, wherever it is nested',
      'services:\n  a:\n    path: a\n    path: b\n  b: { path: b }\n  b: { path: c }\nregistry: {}\nregistry: {}\n',
      '.github/sd-actions.yml: not valid YAML at line 4, column 5: Map keys must be unique; "path" is repeated (first at line 3)',
      4,
    ],
    [
      'a duplicate top-level key',
      'services: { a: { path: a } }\nshared: [x]\nshared: [y]\n',
      '.github/sd-actions.yml: not valid YAML at line 3, column 1: Map keys must be unique; "shared" is repeated (first at line 2)',
      3,
    ],
  ])('rejects %s', async (_name, text, message, line) => {
    const err = await error(text);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.file).toBe('.github/sd-actions.yml');
    expect(err.line).toBe(line);
  });

  test('the JSON Schema rejects the structural mistakes the loader rejects', async () => {
    const structural = [
      'registry:\n  type: docker\nservices: { a: { path: a } }\n',
      'services: {}\n',
      'services:\n  a: { path: ../x }\n',
      'services:\n  a: { image: a }\n',
      'services:\n  a: { path: a, dependson: [x] }\n',
      'registry: { type: ecr, url: ghcr.io/acme }\nservices: { a: { path: a } }\n',
      'services: { a: { path: a } }\nenvironments:\n  dev: { minSoak: tomorrow }\n',
      'services: { a: { path: a } }\nbogus: 1\n',
    ];
    for (const text of structural) {
      expect(validate(parse(text))).toBe(false);
      await expect(parseConfig(text)).rejects.toThrow(UserError);
    }
  });
});

test('parseDuration', () => {
  expect(parseDuration('90m')).toBe(90 * 60e3);
  expect(parseDuration('1d12h')).toBe(36 * 3600e3);
  expect(parseDuration('1w')).toBe(7 * 86400e3);
  expect(parseDuration('24')).toBeUndefined();
  expect(parseDuration('h')).toBeUndefined();
});

test('closest suggests likely typos only', () => {
  expect(closest('bleu', ['blue', 'green'])).toBe('blue');
  expect(closest('stagin', ['dev', 'staging'])).toBe('staging');
  expect(closest('zzz', ['blue', 'green'])).toBeUndefined();
});

describe('environments.<env>.url (the environment_url of GitHub Deployments)', () => {
  const withUrl = (url: string) =>
    `services: { blue: { path: projects/blue } }\nenvironments:\n  dev: { branch: gitops/dev, url: ${JSON.stringify(url)} }\n`;

  test('is a URL template rendered per service and version; absent, there is none', async () => {
    const config = await parseConfig(withUrl('https://{service}.{environment}.example.com/?v={version}'));
    const dev = config.environments.get('dev')!;
    expect(environmentUrl(dev, { service: 'blue', version: '1.6.0' })).toBe(
      'https://blue.dev.example.com/?v=1.6.0',
    );
    expect(validate(parse(withUrl('https://{service}.{environment}.example.com')))).toBe(true);
    const plain = await parseConfig('services: { blue: { path: projects/blue } }\n');
    expect(environmentUrl(plain.environments.get('dev')!, { service: 'blue', version: '1.6.0' })).toBe(
      undefined,
    );
  });

  test.each([
    [
      'blue.example.com',
      '"blue.example.com" is not an http(s) URL; expected e.g. https://{service}.{environment}.example.com',
    ],
    [
      'ftp://{service}.example.com',
      '"ftp://{service}.example.com" is not an http(s) URL; expected e.g. https://{service}.{environment}.example.com',
    ],
    [
      'https://{service}.example.com/{digest}',
      '"https://{service}.example.com/{digest}" uses {digest}; expected only {service}, {version}, {environment}',
    ],
    [
      'https://me:secret@{service}.example.com',
      '"https://me:secret@{service}.example.com" has credentials; the URL is shown on every deployment: expected none',
    ],
  ])('%s is rejected at config load, naming the key', async (url, expected) => {
    const err = await error(withUrl(url));
    expect(err.message).toBe(`.github/sd-actions.yml: environments.dev.url: ${expected}`);
    expect(err.line).toBe(3);
  });
});
