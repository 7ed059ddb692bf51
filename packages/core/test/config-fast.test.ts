/**
 * parseConfig's fast path (js-yaml, config-fast.ts) must give exactly what the reference path
 * (the `yaml` library's Document, config-document.ts) gives: the same Config, or the same error
 * with the same line and column.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { CORE_SCHEMA, load } from 'js-yaml';
import { parse } from 'yaml';
import { parseConfig, UserError, normaliseRepoPath } from '../src/index.js';
import { loadPlain } from '../src/config-fast.js';

type Outcome = { config: unknown } | { error: string; line?: number; column?: number } | { crash: string };

async function outcome(text: string, fast: boolean): Promise<Outcome> {
  try {
    const config = await parseConfig(text, '.github/sd-actions.yml', { fast });
    return { config };
  } catch (err) {
    if (err instanceof UserError) return { error: err.message, line: err.line, column: err.column };
    return { crash: String(err) };
  }
}

async function expectSame(text: string): Promise<void> {
  expect({ text, ...(await outcome(text, true)) }).toEqual({ text, ...(await outcome(text, false)) });
}

/** Texts where js-yaml and the `yaml` library could disagree; the fast path must give up on them. */
const UNUSUAL = [
  ['a YAML 1.1 directive', '%YAML 1.1\n---\nservices: { a: { path: a } }\nregistry: { insecure: yes }\n'],
  ['an anchor and alias', 'services:\n  a: &p { path: a }\n  b: { path: b }\nshared: [&s x, *s]\n'],
  ['a sequence as a key', 'services:\n  [blue]: { path: b }\n'],
  ['an explicit sequence key', 'services:\n  ? [path]\n  : b\n'],
  ['a non-specific tag', 'services: { a: { path: ! 12 } }\n'],
  ['an explicit tag', 'services: { a: { path: !!str 12 } }\n'],
  ['several documents', 'services: { a: { path: a } }\n---\nservices: { b: { path: b } }\n'],
  ['1 and "1" as keys', 'services:\n  1: { path: a }\n  "1": { path: b }\n'],
] as const;

describe('fast and reference paths agree', () => {
  test.each(UNUSUAL)('%s: the fast path gives up', async (_name, text) => {
    const plain = loadPlain(text);
    const yaml = (() => {
      try {
        return parse(text) as unknown;
      } catch {
        return 'error';
      }
    })();
    // Either js-yaml bails out, or (multi-document) it throws too: never a silent disagreement.
    if (plain !== undefined) expect(plain.value).toEqual(yaml);
    await expectSame(text);
  });

  test.each([
    ['a null key (the yaml library names it "")', 'services:\n  ~: { path: b }\n'],
    ['a quoted "null" service name', 'services:\n  "null": { path: b }\n'],
    ['YAML 1.2 scalars', 'services: { a: { path: a } }\nregistry: { type: oci, url: h, insecure: yes }\n'],
    [
      '0b, signed hex, underscores',
      'services:\n  0b101: { path: a }\n  -0x1f: { path: b }\n  1_000: { path: c }\n',
    ],
    [
      'numbers as names',
      'services:\n  0o17: { path: a }\n  +12: { path: b }\n  1e3: { path: c }\n  .5: { path: d }\n',
    ],
    ['-.5 and infinities', 'services: { a: { path: a } }\nenvironments: { dev: { approvals: -.5 } }\n'],
    [
      'a huge integer',
      `services: { a: { path: a } }\nenvironments: { dev: { approvals: ${'9'.repeat(400)} } }\n`,
    ],
    ['a float approval count', 'services: { a: { path: a } }\nenvironments: { dev: { approvals: 2.0 } }\n'],
    ['a merge key', 'services:\n  a: { path: a }\n  <<: { b: { path: b } }\n'],
    ['booleans spelled every way', 'services: { a: { path: a } }\nregistry: { insecure: TRUE }\n'],
    ['block scalars', 'services:\n  a:\n    path: >-\n      projects/a\n'],
    ['an empty file', ''],
    ['only a comment', '# nothing\n'],
    ['a tab in indentation', 'services:\n\ta: { path: a }\n'],
    ['a duplicate key', 'services:\n  a: { path: a }\n  a: { path: b }\n'],
    ['a long implicit key', `services:\n  ${'a'.repeat(1100)}: { path: a }\n`],
  ])('%s', async (_name, text) => {
    await expectSame(text);
  });

  // Random configs from tricky pieces, in flow and block style.
  const scalar = fc.constantFrom(
    'a',
    'projects/a',
    '"projects/b"',
    "'lib/**'",
    '1',
    '0x1F',
    '0o17',
    '0b11',
    '1_0',
    '-.5',
    '.inf',
    '1e3',
    '2.50',
    'true',
    'True',
    'yes',
    'no',
    'on',
    '~',
    'null',
    '',
    '"{version}"',
    '"a: b"',
    '24h',
    '2024-01-01',
    '-0',
    '"null"',
  );
  const key = fc.constantFrom('path', 'image', 'dependsOn', 'pth', '1', 'null', '~', 'a', '"a"');
  const name = fc.constantFrom('a', 'b', 'svc-1', 'null', '1', '0x1', 'true', '"a"', "'b'", 'A_b.c', '-x');
  const entry = fc.dictionary(key, fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 3 });
  const show = (v: string | string[]) => (Array.isArray(v) ? `[${v.join(', ')}]` : v);
  const flow = (e: Record<string, string | string[]>) =>
    `{ ${Object.entries(e)
      .map(([k, v]) => `${k}: ${show(v)}`)
      .join(', ')} }`;
  const config = fc.record({
    services: fc.array(fc.tuple(name, entry, fc.boolean()), { maxLength: 4 }),
    env: fc.option(fc.dictionary(fc.constantFrom('approvals', 'minSoak', 'from', 'tags'), scalar), {
      nil: undefined,
    }),
    shared: fc.option(fc.array(scalar, { maxLength: 3 }), { nil: undefined }),
  });

  test('on random configs', async () => {
    await fc.assert(
      fc.asyncProperty(config, async ({ services, env, shared }) => {
        let text = 'services:\n';
        for (const [n, e, block] of services) {
          if (block) {
            text += `  ${n}:\n`;
            for (const [k, v] of Object.entries(e)) text += `    ${k}: ${show(v)}\n`;
          } else {
            text += `  ${n}: ${flow(e)}\n`;
          }
        }
        if (env) text += `environments:\n  dev: ${flow(env)}\n`;
        if (shared) text += `shared: [${shared.join(', ')}]\n`;
        await expectSame(text);
      }),
      { numRuns: 400 },
    );
  });
});

test("js-yaml's own CORE_SCHEMA would not do: it reads some plain scalars differently from the yaml library", () => {
  for (const text of ['0b101', '-0x1f']) {
    expect(typeof load(text, { schema: CORE_SCHEMA })).toBe('number');
    expect(typeof parse(text)).toBe('string');
    expect(typeof loadPlain(text)?.value).toBe('string');
  }
  expect(load('-.5', { schema: CORE_SCHEMA })).toBe('-.5');
  expect(parse('-.5')).toBe(-0.5);
  expect(loadPlain('-.5')?.value).toBe(-0.5);
  const huge = '9'.repeat(400);
  expect(load(huge, { schema: CORE_SCHEMA })).toBe(huge);
  expect(parse(huge)).toBe(Infinity);
  expect(loadPlain(huge)?.value).toBe(Infinity);
});

test('normaliseRepoPath: its shortcut for already-normal paths changes nothing', () => {
  const reference = (raw: string): { path: string } | { problem: string } => {
    if (raw.trim() === '') return { problem: 'is empty' };
    if (raw.includes('\0')) return { problem: 'contains a NUL byte' };
    if (raw.includes('\\')) return { problem: 'uses backslashes; use forward slashes' };
    if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw))
      return { problem: 'is absolute; it must be relative to the repository root' };
    const parts: string[] = [];
    for (const part of raw.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') return { problem: 'escapes the repository ("..")' };
      parts.push(part);
    }
    return { path: parts.length === 0 ? '.' : parts.join('/') };
  };
  const piece = fc.constantFrom('a', 'b.c', '.', '..', '...', '/', '\\', '\0', ' ', 'C:', ':', '.a', 'é');
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
      const raw = pieces.join('');
      expect(normaliseRepoPath(raw)).toEqual(reference(raw));
    }),
    { numRuns: 3000 },
  );
});
