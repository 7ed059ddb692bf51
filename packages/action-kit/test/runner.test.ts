import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAnnotations, parseFileCommands } from '@sd-actions/testkit';
import { core, writeSummary } from '../src/index.js';
import { escapeData, escapeProperty, formatCommand, formatKeyValue, randomUuid } from '../src/runner.js';

let dir: string;
let written: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-kit-runner-'));
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  for (const key of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'RUNNER_DEBUG']) delete process.env[key];
});

afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  process.exitCode = undefined;
});

const stdout = () => written.join('');

test('data escaping: %, CR and LF only; properties also escape : and ,', () => {
  expect(escapeData('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext: a,b');
  expect(escapeProperty('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext%3A a%2Cb');
  // % first, so an already-escaped-looking value survives a round trip.
  expect(escapeData('%0A')).toBe('%250A');
  expect(escapeProperty('%3A')).toBe('%253A');
});

test('annotations map startLine/startColumn to line/col, escape properties and drop empty ones', () => {
  core.error('bad value: a,b\nsecond line', {
    title: 'Config: services, paths',
    file: 'dir,with:odd%/sd-actions.yml',
    startLine: 12,
    endLine: 14,
    startColumn: 3,
    endColumn: 9,
  });
  core.warning('careful', { title: 'only a title', file: undefined });
  core.notice(new Error('from an Error'));
  expect(stdout()).toBe(
    '::error title=Config%3A services%2C paths,file=dir%2Cwith%3Aodd%25/sd-actions.yml,line=12,endLine=14,col=3,endColumn=9::bad value: a,b%0Asecond line\n' +
      '::warning title=only a title::careful\n' +
      '::notice::Error: from an Error\n',
  );
  // And the runner emulation reads back exactly what was meant.
  const { annotations } = parseAnnotations(stdout());
  expect(annotations[0]).toEqual({
    level: 'error',
    message: 'bad value: a,b\nsecond line',
    properties: {
      title: 'Config: services, paths',
      file: 'dir,with:odd%/sd-actions.yml',
      line: '12',
      endLine: '14',
      col: '3',
      endColumn: '9',
    },
  });
});

test('formatCommand leaves out the space when there are no properties', () => {
  expect(formatCommand('debug', {}, 'x')).toBe('::debug::x');
  expect(formatCommand('debug', { a: undefined, b: '' }, 'x')).toBe('::debug::x');
  expect(formatCommand('set-output', { name: 'n' }, { a: 1 })).toBe('::set-output name=n::{"a":1}');
});

test('setSecret, debug, info, groups', () => {
  core.setSecret('p%ss\nword');
  core.debug('looking: 50%');
  core.info('plain: text, kept as is');
  core.startGroup('build a,b');
  core.endGroup();
  expect(stdout()).toBe(
    '::add-mask::p%25ss%0Aword\n::debug::looking: 50%25\nplain: text, kept as is\n::group::build a,b\n::endgroup::\n',
  );
  expect(parseAnnotations(stdout()).masked).toEqual(['p%ss\nword']);
});

test('group ends the group even when the function throws', async () => {
  await expect(
    core.group('g', async () => {
      throw new Error('inside');
    }),
  ).rejects.toThrow('inside');
  expect(stdout()).toBe('::group::g\n::endgroup::\n');
});

test('setFailed sets exit code 1 and reports an error annotation', () => {
  core.setFailed('it broke');
  expect(process.exitCode).toBe(1);
  expect(stdout()).toBe('::error::it broke\n');
});

test('isDebug follows RUNNER_DEBUG=1', () => {
  expect(core.isDebug()).toBe(false);
  process.env.RUNNER_DEBUG = '1';
  expect(core.isDebug()).toBe(true);
});

test('getInput: spaces become _, upper-cased, trimmed unless told otherwise; required', () => {
  process.env['INPUT_MY_INPUT_NAME'] = '  value \n';
  expect(core.getInput('my input name')).toBe('value');
  expect(core.getInput('My Input Name', { trimWhitespace: false })).toBe('  value \n');
  expect(core.getInput('missing')).toBe('');
  expect(() => core.getInput('missing', { required: true })).toThrow(
    'Input required and not supplied: missing',
  );
  process.env['INPUT_WITH-DASH'] = 'd';
  expect(core.getInput('with-dash')).toBe('d');
});

test('setOutput appends heredoc blocks; newlines and delimiter-like text survive', () => {
  const file = join(dir, 'output');
  writeFileSync(file, '');
  process.env.GITHUB_OUTPUT = file;
  const tricky = 'line 1\nghadelimiter_00000000-0000-0000-0000-000000000000\nforged=yes\n\nlast';
  core.setOutput('matrix', tricky);
  core.setOutput('json', { include: [{ service: 'a' }] });
  core.setOutput('empty', '');
  const text = readFileSync(file, 'utf8');
  expect(text).toMatch(/^matrix<<(ghadelimiter_[0-9a-f-]{36})\nline 1\n[^]*\nlast\n\1\njson<<ghadelimiter_/);
  // Each output gets its own delimiter.
  const delimiters = [...text.matchAll(/^\w+<<(.+)$/gm)].map((m) => m[1]);
  expect(new Set(delimiters).size).toBe(3);
  expect(parseFileCommands(text)).toEqual({
    matrix: tricky,
    json: '{"include":[{"service":"a"}]}',
    empty: '',
  });
  expect(stdout()).toBe('');
});

test('delimiters are random version 4 UUIDs, like crypto.randomUUID()', () => {
  const uuids = Array.from({ length: 50 }, () => randomUuid());
  for (const uuid of uuids)
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(uuids).size).toBe(50);
});

test('a value or name containing the delimiter is refused, not written', () => {
  const delimiter = 'ghadelimiter_fixed';
  expect(formatKeyValue('n', 'a\nb', delimiter)).toBe(`n<<${delimiter}\na\nb\n${delimiter}`);
  expect(() => formatKeyValue('n', `x\n${delimiter}\nforged=1`, delimiter)).toThrow(
    'value should not contain the delimiter',
  );
  expect(() => formatKeyValue(`n${delimiter}`, 'x', delimiter)).toThrow(
    'name should not contain the delimiter',
  );
});

test('setOutput without GITHUB_OUTPUT writes the legacy command; with a missing file it throws', () => {
  core.setOutput('name', 'a\nb: c,d');
  expect(stdout()).toBe('\n::set-output name=name::a%0Ab: c,d\n');
  process.env.GITHUB_OUTPUT = join(dir, 'nope');
  expect(() => core.setOutput('name', 'x')).toThrow(`Missing file at path: ${join(dir, 'nope')}`);
});

test('the step summary is appended to GITHUB_STEP_SUMMARY, and skipped without one', async () => {
  await writeSummary('# ignored\n');
  const file = join(dir, 'summary.md');
  writeFileSync(file, 'before\n');
  process.env.GITHUB_STEP_SUMMARY = file;
  await writeSummary('### One');
  core.appendSummary('two | three');
  expect(readFileSync(file, 'utf8')).toBe('before\n### One\ntwo | three\n');
  expect(stdout()).toBe('');
});
