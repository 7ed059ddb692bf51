import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import {
  combineVerify,
  evaluateCondition,
  instantiateHttpCheck,
  isUserError,
  parseChecksInput,
  parseCondition,
  parseConfig,
  parseJsonPath,
  parseVerifyDuration,
  renderVerifyTemplate,
  type Condition,
  type UserError,
} from '../src/index.js';

const ISSUE_CONFIG = `environments:
  production:
    verify:
      interval: 10s
      count: 6
      failureLimit: 0
      consecutiveErrorLimit: 4
      rolloutTimeout: 10m
      alarms: { critical: [blue-5xx, blue-latency], warning: [blue-cpu], insufficientData: fail }
      codepipeline: { pipeline: blue-prod }
services:
  blue:
    path: projects/blue
    verify:
      http:
        - url: https://blue.{environment}.example.com/health/ready
          status: 200
          version: $.version
          conditions: ['$.status == "UP"', '$.components.dynamodb.status == "UP"', '$.latencyMs < 500']
          headers: { Authorization: 'Bearer \${HEALTH_TOKEN}' }
      command: ./scripts/smoke.sh
      attempts: 3
`;

async function rejection(text: string): Promise<UserError> {
  try {
    await parseConfig(text);
  } catch (err) {
    if (isUserError(err)) return err;
    throw err;
  }
  throw new Error('expected a config error');
}

describe('verify config', () => {
  test('the issue example parses, and a service adds to its environment', async () => {
    for (const fast of [true, false]) {
      const config = await parseConfig(ISSUE_CONFIG, undefined, { fast });
      const env = config.environments.get('production')!.verify;
      const svc = config.services.get('blue')!.verify;
      const plan = combineVerify(env, svc);
      expect(plan).toMatchObject({
        intervalMs: 10_000,
        count: 6,
        failureLimit: 0,
        consecutiveErrorLimit: 4,
        rolloutTimeoutMs: 600_000,
        attempts: 3,
        alarms: { critical: ['blue-5xx', 'blue-latency'], warning: ['blue-cpu'], insufficientData: 'fail' },
        codepipeline: { pipeline: 'blue-prod' },
        commands: ['./scripts/smoke.sh'],
      });
      expect(plan.http).toHaveLength(1);
      expect(plan.http[0]!.conditions.map((c) => c.text)).toEqual([
        '$.status == "UP"',
        '$.components.dynamodb.status == "UP"',
        '$.latencyMs < 500',
      ]);
      expect(plan.http[0]!.version?.path).toEqual(['version']);
      expect(plan.http[0]!.status).toEqual([200]);
    }
  });

  test('the JSON schema accepts the example and rejects what parseConfig rejects', () => {
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, '../schema/sd-actions.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    expect(validate(parse(ISSUE_CONFIG))).toBe(true);
    const bad = ISSUE_CONFIG.replace('failureLimit: 0', 'failureLimit: -1');
    expect(validate(parse(bad))).toBe(false);
    expect(validate(parse(ISSUE_CONFIG.replace('status: 200', 'expect: 200')))).toBe(false);
  });

  test('defaults when nothing is configured', () => {
    expect(combineVerify(undefined, undefined)).toEqual({
      intervalMs: 10_000,
      count: 6,
      failureLimit: 0,
      consecutiveErrorLimit: 4,
      rolloutTimeoutMs: 600_000,
      attempts: 3,
      alarms: { critical: [], warning: [], insufficientData: 'fail' },
      codepipeline: undefined,
      http: [],
      commands: [],
    });
  });

  test('service settings override, checks add; the checks input replaces checks', async () => {
    const config = await parseConfig(`services:
  blue:
    path: b
    verify: { count: 3, command: ./svc.sh, alarms: { critical: [b] } }
environments:
  dev:
    verify: { count: 2, interval: 1s, command: ./env.sh, alarms: { critical: [a], insufficientData: ignore } }
`);
    const env = config.environments.get('dev')!.verify;
    const svc = config.services.get('blue')!.verify;
    const plan = combineVerify(env, svc);
    expect(plan).toMatchObject({
      count: 3,
      intervalMs: 1000,
      commands: ['./env.sh', './svc.sh'],
      alarms: { critical: ['a', 'b'], insufficientData: 'ignore' },
    });
    const input = await parseChecksInput('http: [{ url: "http://127.0.0.1:1/h" }]\ncount: 1\n');
    const replaced = combineVerify(env, svc, input);
    expect(replaced).toMatchObject({ count: 1, intervalMs: 1000, commands: [], alarms: { critical: [] } });
    expect(replaced.http.map((h) => h.url)).toEqual(['http://127.0.0.1:1/h']);
  });

  const bad = (verify: string) => `services:\n  blue:\n    path: b\n    verify:\n${verify}`;
  test.each([
    [
      'an unknown check key',
      bad('      http:\n        - url: http://x/h\n          expect: 200\n'),
      '.github/sd-actions.yml: services.blue.verify.http.0.expect: unknown key; expected one of url, status, version, conditions, headers, timeout',
      7,
    ],
    [
      'an unknown verify key',
      bad('      retries: 3\n'),
      '.github/sd-actions.yml: services.blue.verify.retries: unknown key; expected one of interval, count, failureLimit, consecutiveErrorLimit, rolloutTimeout, alarms, codepipeline, http, command, attempts',
      5,
    ],
    [
      'a malformed condition',
      bad('      http:\n        - url: http://x/h\n          conditions: [\'$.status = "UP"\']\n'),
      `.github/sd-actions.yml: services.blue.verify.http.0.conditions.0: "$.status = \\"UP\\"" has no operator (==, !=, <, <=, > or >=); expected "<path> <op> <value>", e.g. '$.status == "UP"'`,
      7,
    ],
    [
      'a condition with no operator',
      bad("      http:\n        - url: http://x/h\n          conditions: ['$.status']\n"),
      /conditions\.0: "\$\.status" has no operator/,
      7,
    ],
    [
      'an ordering with a string',
      bad('      http:\n        - url: http://x/h\n          conditions: [\'$.latencyMs < "fast"\']\n'),
      /uses < with "fast"; ordering needs a number/,
      7,
    ],
    [
      'a URL with an unknown placeholder',
      bad('      http:\n        - url: https://{service}.{region}.example.com/health\n'),
      '.github/sd-actions.yml: services.blue.verify.http.0.url: "https://{service}.{region}.example.com/health" uses {region}; expected only {service}, {environment}, {version}, {digest}',
      6,
    ],
    [
      'a URL that is not http',
      bad('      http:\n        - url: ftp://x/h\n'),
      /http\.0\.url: "ftp:\/\/x\/h" is not an http\(s\) URL/,
      6,
    ],
    [
      'a secret in a URL',
      bad('      http:\n        - url: http://x/h?token=${TOKEN}\n'),
      /secrets go in headers, never in URLs/,
      6,
    ],
    [
      'a negative limit',
      bad('      failureLimit: -1\n'),
      '.github/sd-actions.yml: services.blue.verify.failureLimit: -1 is not a whole number from 0 to 10000',
      5,
    ],
    ['a zero count', bad('      count: 0\n'), /verify\.count: 0 is not a whole number from 1 to 10000/, 5],
    [
      'a duration without unit',
      bad('      interval: 10\n'),
      /verify\.interval: 10 is not a duration; expected a number with a unit/,
      5,
    ],
    [
      'an unknown insufficientData policy',
      bad('      alarms: { critical: [a], insufficientData: maybe }\n'),
      /alarms\.insufficientData: "maybe" is not a policy; expected fail or ignore/,
      5,
    ],
    [
      'an alarm name with an unknown placeholder',
      bad('      alarms: { critical: ["{service}-{stage}"] }\n'),
      /alarms\.critical\.0: "\{service\}-\{stage\}" uses \{stage\}/,
      5,
    ],
    [
      'a template in a command',
      bad('      command: ./smoke.sh {version}\n'),
      /verify\.command: "\.\/smoke\.sh \{version\}" uses \{version\}; .* use "\$SD_VERSION"/,
      5,
    ],
    [
      'a bad header variable',
      bad('      http:\n        - url: http://x/h\n          headers: { X-Token: "${1X}" }\n'),
      /headers\.X-Token: "\$\{1X\}" uses \$\{1X\}/,
      7,
    ],
    [
      'a bad version path',
      bad('      http:\n        - url: http://x/h\n          version: $..version\n'),
      /http\.0\.version: "\$\.\.version" has/,
      7,
    ],
    [
      'a status out of range',
      bad('      http:\n        - url: http://x/h\n          status: 700\n'),
      /http\.0\.status: 700 is not a whole number from 100 to 599/,
      7,
    ],
    [
      'an environment verify problem',
      'services: { blue: { path: b } }\nenvironments:\n  dev:\n    verify: { rolloutTimeout: soon }\n',
      /environments\.dev\.verify\.rolloutTimeout: "soon" is not a duration/,
      4,
    ],
  ])('rejects %s', async (_name, text, message, line) => {
    const err = await rejection(text);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.line).toBe(line);
  });

  test('codepipeline directly under an environment (DESIGN.md) and in its verify block: one shape', async () => {
    const config = (envs: string) => `services:\n  blue: { path: projects/blue }\nenvironments:\n${envs}`;
    for (const fast of [true, false]) {
      const direct = await parseConfig(
        config('  production: { codepipeline: { pipeline: blue-prod, stage: Deploy } }\n'),
        undefined,
        { fast },
      );
      const inVerify = await parseConfig(
        config(
          '  production: { verify: { count: 2, codepipeline: { pipeline: blue-prod, stage: Deploy } } }\n',
        ),
        undefined,
        { fast },
      );
      const both = await parseConfig(
        config(
          '  production:\n    codepipeline: { pipeline: blue-prod, stage: Deploy }\n    verify: { codepipeline: { pipeline: blue-prod, stage: Deploy } }\n',
        ),
        undefined,
        { fast },
      );
      for (const c of [direct, inVerify, both]) {
        const env = c.environments.get('production')!;
        expect(env.codepipeline).toEqual({ pipeline: 'blue-prod', stage: 'Deploy' });
        expect(combineVerify(env.verify, undefined).codepipeline).toEqual(env.codepipeline);
      }
      // Only the pipeline: settings stay the defaults, and the plan has a check.
      expect(combineVerify(direct.environments.get('production')!.verify, undefined)).toMatchObject({
        count: 6,
        http: [],
        commands: [],
      });
      expect(
        (await parseConfig(config('  production: {}\n'))).environments.get('production')!.codepipeline,
      ).toBe(undefined);
    }
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, '../schema/sd-actions.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);
    expect(
      validate(parse(config('  production: { codepipeline: { pipeline: blue-prod, stage: Deploy } }\n'))),
    ).toBe(true);
    expect(
      validate(parse(config('  production: { codepipeline: { pipeline: blue-prod, action: x } }\n'))),
    ).toBe(false);
    expect(validate(parse(config("  production: { codepipeline: { pipeline: 'blue prod' } }\n")))).toBe(
      false,
    );
  });

  test.each([
    [
      'two different pipelines',
      '  production:\n    codepipeline: { pipeline: blue-prod }\n    verify: { codepipeline: { pipeline: blue-production } }\n',
      '.github/sd-actions.yml: environments.production.codepipeline: differs from environments.production.verify.codepipeline; give the pipeline in one place',
    ],
    [
      'an unknown key',
      '  production: { codepipeline: { pipeline: blue-prod, action: Deploy } }\n',
      '.github/sd-actions.yml: environments.production.codepipeline.action: unknown key; expected one of pipeline, stage',
    ],
    [
      'no pipeline',
      '  production: { codepipeline: { stage: Deploy } }\n',
      /environments\.production\.codepipeline\.pipeline: nothing is not a non-empty string/,
    ],
    [
      'a pipeline name CodePipeline refuses',
      "  production: { codepipeline: { pipeline: 'blue/prod' } }\n",
      /environments\.production\.codepipeline\.pipeline: "blue\/prod" is not a CodePipeline name/,
    ],
    [
      'an unknown placeholder',
      "  production: { codepipeline: { pipeline: '{service}-{region}' } }\n",
      /environments\.production\.codepipeline\.pipeline: .* uses \{region\}/,
    ],
    [
      'a stage name CodePipeline refuses',
      "  production: { codepipeline: { pipeline: blue-prod, stage: 'De ploy' } }\n",
      /environments\.production\.codepipeline\.stage: "De ploy" is not a CodePipeline stage name/,
    ],
  ])('environments.<env>.codepipeline: rejects %s', async (_name, envs, message) => {
    const err = await rejection(`services:\n  blue: { path: projects/blue }\nenvironments:\n${envs}`);
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(err.line).toBeGreaterThan(3);
  });

  test('the checks input reports its own key paths and lines', async () => {
    await expect(parseChecksInput('count: 2\nhttp:\n  - url: http://x/{nope}\n')).rejects.toMatchObject({
      message:
        'input "checks": http.0.url: "http://x/{nope}" uses {nope}; expected only {service}, {environment}, {version}, {digest}',
      line: 3,
    });
    await expect(parseChecksInput('')).rejects.toThrow('input "checks": (top level): is empty');
    await expect(parseChecksInput('count: [')).rejects.toThrow(/input "checks": not valid YAML at line 1/);
  });
});

describe('templates and headers', () => {
  const values = { service: 'blue', environment: 'production', version: '1.6.1', digest: 'sha256:abc' };
  test('fills placeholders and leaves ${VAR} alone', () => {
    expect(renderVerifyTemplate('https://{service}.{environment}/v/{version}@{digest} ${X}', values)).toBe(
      'https://blue.production/v/1.6.1@sha256:abc ${X}',
    );
  });

  test('header variables come from the environment and are returned as secrets', async () => {
    const spec = await parseChecksInput(
      `http:\n  - url: https://{service}.example/h\n    headers: { Authorization: 'Bearer \${TOKEN}' }\n    conditions: ['$.version == "{version}"']\n`,
    );
    const { check, secrets } = instantiateHttpCheck(spec.http[0]!, values, { TOKEN: 's3cret' });
    expect(check.url).toBe('https://blue.example/h');
    expect(check.headers).toEqual({ Authorization: 'Bearer s3cret' });
    expect(secrets).toEqual(['s3cret']);
    expect(check.conditions[0]!.value).toBe('1.6.1');
    expect(() => instantiateHttpCheck(spec.http[0]!, values, {})).toThrow(
      /header Authorization uses \$\{TOKEN\}, but TOKEN is not set/,
    );
  });

  test.each([
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['10', undefined],
    ['1x', undefined],
  ])('duration %s', (text, ms) => expect(parseVerifyDuration(text)).toBe(ms));
});

describe('conditions', () => {
  const body = {
    status: 'UP',
    latencyMs: 120,
    ok: true,
    none: null,
    components: { dynamodb: { status: 'DOWN' } },
    list: [{ name: 'a' }],
    count: '7',
  };
  const cond = (text: string): Condition => {
    const c = parseCondition(text);
    if ('problem' in c) throw new Error(c.problem);
    return c;
  };
  test.each([
    ['$.status == "UP"', true, '$.status is "UP"'],
    ["status == 'UP'", true, 'status is "UP"'],
    ['$.status != "UP"', false, '$.status is "UP"'],
    ['$.components.dynamodb.status == "UP"', false, '$.components.dynamodb.status is "DOWN"'],
    ['$.latencyMs < 500', true, '$.latencyMs is 120'],
    ['$.latencyMs <= 120', true, '$.latencyMs is 120'],
    ['$.latencyMs > 120', false, '$.latencyMs is 120'],
    ['$.latencyMs >= 120.0', true, '$.latencyMs is 120'],
    ['$.ok == true', true, '$.ok is true'],
    ['$.none == null', true, '$.none is null'],
    ['$.list[0].name == "a"', true, '$.list[0].name is "a"'],
    ['$.missing == "x"', false, '$.missing is missing'],
    ['$.count > 5', false, '$.count is "7", not a number'],
    ['$.count == 7', false, '$.count is "7"'],
    ['$.latencyMs == -1.5e3', false, '$.latencyMs is 120'],
    [
      '$ != null',
      true,
      '$ is {"status":"UP","latencyMs":120,"ok":true,"none":null,"components":{"dynamodb"...',
    ],
  ])('%s → %s', (text, ok, fact) => {
    expect(evaluateCondition(cond(text), body)).toEqual({ ok, fact });
  });

  test.each([
    ['$.status', 'has no operator'],
    ['$.status == UP', 'has the value "UP"'],
    ['$.status == "UP', 'has the malformed string "UP'],
    ['$.a..b == 1', 'path has ".b" where a key was expected'],
    [' == 1', 'path is empty'],
    ['$.a < true', 'uses < with true; ordering needs a number'],
    ['$.a == process.exit()', 'has the value "process.exit()"'],
  ])('rejects %s', (text, problem) => {
    const c = parseCondition(text);
    expect('problem' in c && c.problem).toContain(problem);
  });

  test('paths', () => {
    expect(parseJsonPath('$.a.b[2].c')).toEqual(['a', 'b', 2, 'c']);
    expect(parseJsonPath('a')).toEqual(['a']);
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$[0]')).toEqual([0]);
  });
});
