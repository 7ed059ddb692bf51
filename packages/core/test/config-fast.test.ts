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

describe('fast and reference paths agree on YAML corner cases', () => {
  test.each([
    ['quotes with #', 'a: "x # y"\nb: \'p#q\' # c\nc: { d: "#", e: [\'#\'] }\n'],
    ['": " inside quotes', 'a: "b: c"\nb: { c: \'d: e\', "f: g": h }\n'],
    ['trailing spaces', 'a: b   \nc:   \n  d: e  \n  f: [g]  \n   \n'],
    ['CRLF line endings', 'a: b\r\nc:\r\n  d: [x, "y"] # z\r\n  e:\r\n  - f\r\n\r\n'],
    ['keys with dots and dashes', 'svc.a-b_c: x\n-x: y\nlibs/a: z\n'],
    ['empty flow collections', 'a: {}\nb: []\nc: { d: [], e: {} }\nd: [{}, []]\n'],
    ['comments after values', 'a: b # c\nd: [e] # f\ng: {h: i} #j\n"k": \'l\' # m\n'],
    ['key: with a nested block', 'a:\n  b:\n    c: d\n  e: f\ng: h\n'],
    ['a sequence at the indentation of its key', 'a:\n- x\n- "y"\nb: z\n'],
    ['a nested sequence and odd indentation', 'a:\n   - x\n   - y\nb:\n c:\n      - 1\n'],
    ['a key with no value', 'a:\nb: c\nd: # e\n'],
    ['comment lines anywhere', '# top\na:\n# left\n      # right\n  b: c\n\n  # x\nd: e\n'],
    ['escapes', 'a: "q\\"b\\\\c\\/d\\ne\\tf"\nb: \'it\'\'s\'\nc: "\\\\"\n'],
    ['a colon inside a plain value', 'url: host:5000/acme\nb: { u: http://x:80/a }\nc: [a:b]\n'],
    ['JSON-like flow', 's:\n  x: { "path": "p", "dependsOn": ["a","b"] }\n'],
    ['non-ASCII in scalars and comments', 'a: { path: "team ünï/x", b: xünï } # ünï\nc: \'é\'\n'],
    [
      'scalars of every type',
      'a: [~, null, Null, NULL, true, False, 0o17, 0x1F, -12, +3, 1e3, -.5, .inf, .NaN, 2.50]\n',
    ],
    ['strings that look like numbers', 'a: [0b1, -0x1, 1_000, 0o8, 1.2.3, 2024-01-01, yes, "1", \'true\']\n'],
    ['number and boolean keys', '1: a\n0x10: b\ntrue: c\n1.50: d\n.inf: e\n'],
    ['no final newline', 'a:\n  b: [c]'],
  ])('common: %s', async (_name, text) => {
    await expectSame(text);
  });

  test.each([
    ['an unsupported escape', 'a: "\\x41"\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a multi-line plain value under a key', 'a:\n  b\n  c\n'],
    ['a multi-line quoted scalar', 'a: "b\n  c"\n'],
    ['a block scalar', 'a: |\n  x\n'],
    ['a folded block scalar', 'a: >-\n  x\n'],
    ['a tab', 'a:\n\tb: c\n'],
    ['a tab inside quotes', 'a: "b\tc"\n'],
    ['a document start marker', '---\na: b\n'],
    ['a document end marker', 'a: b\n...\n'],
    ['a directive', '%YAML 1.2\n---\na: b\n'],
    ['an anchor', 'a: &x b\nc: *x\n'],
    ['an alias', 'a: b\nc: [*x]\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a non-specific tag', 'a: ! 1\n'],
    ['a repeated key', 'a: b\na: c\n'],
    ['a repeated key in flow', 'a: { b: 1, b: 2 }\n'],
    ['1 and "1"', '"1": x\n1: y\n'],
    ['a complex key', '? a\n: b\n'],
    ['a flow key', '[a]: b\n'],
    ['a multi-line flow collection', 'a: [b,\n  c]\n'],
    ['a comment inside a flow collection', 'a: [b, # c\n  d]\n'],
    ['__proto__', '__proto__: x\n'],
    ['constructor', 'a: { constructor: x }\n'],
    ['a # inside a plain scalar', 'a: b#c\n'],
    ['a flow indicator inside a block plain scalar', 'a: b, c\n'],
    ['a trailing comma', 'a: [b, ]\n'],
    ['an empty flow value', 'a: { b: }\n'],
    ['an implicit pair in a flow sequence', 'a: [b: c]\n'],
    ['a null key', '~: x\n'],
    ['a lone CR', 'a: b\rc: d\n'],
    ['a BOM', '\ufeffa: b\n'],
    ['a no-break space', 'a: b\u00a0\n'],
    ['a sequence as the root', '- a\n- b\n'],
    ['a scalar as the root', 'a\n'],
    ['an indented root', '  a: b\n'],
    ['an empty document', '# only\n'],
    ['a mapping on the line of its key', 'a: b: c\n'],
    ['a sequence on the line of its key', 'a: - b\n'],
    ['a mapping in a sequence item', 'a:\n  - b: c\n'],
    ['an empty sequence item', 'a:\n  -\n  - b\n'],
    ['a merge key', '<<: { a: b }\n'],
    ['space before the colon', 'a : b\n'],
    ['a bad indentation', 'a:\n  b: c\n d: e\n'],
    ['a value then a deeper line', 'a: b\n  c: d\n'],
    ['text after a flow collection', 'a: [b] c\n'],
    ['a comment without a space', 'a: "b"#c\n'],
    ['a long key', `${'a'.repeat(1100)}: b\n`],
  ])('unusual: %s', async (_name, text) => {
    await expectSame(text);
  });

  // Random documents: nested block and flow collections of scalars
  // from a list of tricky ones, with random indentation, comments, blank lines, trailing spaces,
  // CRLF, and the occasional tab or unsupported construct.
  const scalar = fc.constantFrom(
    'a',
    'svc-1',
    'projects/a b',
    'libs/**',
    'host:5000/x',
    'a:b',
    '-x',
    '-.5',
    '.inf',
    '~',
    'null',
    'NULL',
    'true',
    'True',
    'FALSE',
    'yes',
    '1',
    '-0',
    '0x1F',
    '0o17',
    '0b11',
    '1_0',
    '1e3',
    '2.50',
    '1.',
    '2024-01-01',
    'ünï',
    '"a # b"',
    '"a: b"',
    '"q\\"\\\\\\/\\n\\t"',
    '"\\x41"',
    '""',
    "''",
    "'it''s'",
    "'#'",
    '"ünï"',
    'a#b',
    'a, b',
    '&x a',
    '*x',
    '!!str 1',
    '|',
    '? a',
    '<<',
  );
  const key = fc.constantFrom(
    'a',
    'b',
    'path',
    'svc.a-b',
    '-x',
    '1',
    '01',
    '0x1',
    'true',
    '"a"',
    "'b'",
    '"null"',
    '~',
    'a b',
    '"c: d"',
  );
  const { flow } = fc.letrec<{ flow: string; map: string; seq: string }>((tie) => ({
    flow: fc.oneof({ maxDepth: 2 }, scalar, tie('map'), tie('seq')),
    map: fc
      .array(fc.tuple(key, tie('flow'), fc.constantFrom(' ', '  ')), { maxLength: 3 })
      .map((entries) => `{${entries.map(([k, v, sp]) => `${sp}${k}:${sp}${v}`).join(',')} }`),
    seq: fc
      .array(fc.tuple(tie('flow'), fc.constantFrom('', ' ')), { maxLength: 3 })
      .map((items) => `[${items.map(([v, sp]) => `${sp}${v}`).join(',')}]`),
  }));
  type Block = { map: [string, string | Block][] } | { seq: string[] };
  const { block } = fc.letrec<{ block: Block; value: string | Block }>((tie) => ({
    block: fc.oneof(
      { maxDepth: 3 },
      fc.array(fc.tuple(key, tie('value')), { minLength: 1, maxLength: 4 }).map((map) => ({ map })),
      fc.array(flow, { minLength: 1, maxLength: 3 }).map((seq) => ({ seq })),
    ),
    value: fc.oneof({ maxDepth: 3 }, flow, tie('block')),
  }));

  /** Renders with choices from a small PRNG seeded by the property (so shrinking stays useful). */
  function render(root: Block, seed: number): string {
    let state = seed >>> 0;
    const chance = (p: number): boolean => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32 < p;
    };
    const eol = chance(0.2) ? '\r\n' : '\n';
    const lines: string[] = [];
    const end = (): string => (chance(0.15) ? ' # note' : '') + (chance(0.1) ? '  ' : '');
    const extra = (): void => {
      if (chance(0.05)) lines.push('');
      if (chance(0.05)) lines.push(`${' '.repeat(chance(0.5) ? 0 : 3)}# comment`);
    };
    const step = (): number => (chance(0.7) ? 2 : chance(0.5) ? 1 : 4);
    const block = (b: Block, indent: number): void => {
      const pad = ' '.repeat(indent);
      if ('seq' in b) {
        for (const item of b.seq) {
          lines.push(`${pad}-${chance(0.9) ? ' ' : '  '}${item}${end()}`);
          extra();
        }
        return;
      }
      for (const [k, v] of b.map) {
        if (typeof v === 'string') lines.push(`${pad}${k}: ${v}${end()}`);
        else {
          lines.push(`${pad}${k}:${end()}`);
          extra();
          block(v, 'seq' in v && chance(0.3) ? indent : indent + step());
        }
        extra();
      }
    };
    block('seq' in root ? { map: [['root', root]] } : root, 0);
    let text = lines.join(eol) + (chance(0.9) ? eol : '');
    if (chance(0.03)) text = text.replace(' ', '\t');
    if (chance(0.03)) text = text.replace(/\n /, '\n   ');
    return text;
  }

  test('on random documents', async () => {
    await fc.assert(
      fc.asyncProperty(block, fc.integer(), async (root, seed) => {
        await expectSame(render(root, seed));
      }),
      { numRuns: 1000 },
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
