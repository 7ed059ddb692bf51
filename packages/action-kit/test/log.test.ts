import { afterEach, beforeEach, expect, jest, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAnnotations, parseFileCommands } from '@sd-actions/testkit';
import { log, neutralise, runAction, recordChange, writeSummary } from '../src/index.js';
import { UserError } from '@sd-actions/core';

let dir: string;
let written: string[];
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-kit-log-'));
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  for (const key of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV', 'RUNNER_DEBUG'])
    delete process.env[key];
});

afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  process.exitCode = undefined;
});

const stdout = () => written.join('');

test('annotations map startLine/startColumn to line/col, escape properties and drop empty ones', () => {
  log.error('bad value: a,b\nsecond line', {
    title: 'Config: services, paths',
    file: 'dir,with:odd%/sd-actions.yml',
    startLine: 12,
    endLine: 14,
    startColumn: 3,
    endColumn: 9,
  });
  log.warning('careful', { title: 'only a title', file: undefined });
  log.notice(new Error('from an Error'));
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

test('setSecret, debug, info, groups', () => {
  log.setSecret('p%ss\nword');
  log.debug('looking: 50%');
  log.info('plain: text, kept as is');
  log.startGroup('build a,b');
  log.endGroup();
  expect(stdout()).toBe(
    '::add-mask::p%25ss%0Aword\n::add-mask::p%25ss\n::add-mask::word\n::debug::looking: 50%25\nplain: text, kept as is\n::group::build a,b\n::endgroup::\n',
  );
  // A multi-line secret is masked whole and line by line (the runner matches masks per line).
  expect(parseAnnotations(stdout()).masked).toEqual(['p%ss\nword', 'p%ss', 'word']);
});

test('group ends the group even when the function throws', async () => {
  await expect(
    log.group('g', async () => {
      throw new Error('inside');
    }),
  ).rejects.toThrow('inside');
  expect(stdout()).toBe('::group::g\n::endgroup::\n');
});

test('setFailed sets exit code 1 and reports an error annotation', () => {
  log.setFailed('it broke');
  expect(process.exitCode).toBe(1);
  expect(stdout()).toBe('::error::it broke\n');
});

test('isDebug follows RUNNER_DEBUG=1', () => {
  expect(log.isDebug()).toBe(false);
  process.env.RUNNER_DEBUG = '1';
  expect(log.isDebug()).toBe(true);
});

test('getInput: spaces become _, upper-cased, trimmed unless told otherwise; required', () => {
  process.env['INPUT_MY_INPUT_NAME'] = '  value \n';
  expect(log.getInput('my input name')).toBe('value');
  expect(log.getInput('My Input Name', { trimWhitespace: false })).toBe('  value \n');
  expect(log.getInput('missing')).toBe('');
  expect(() => log.getInput('missing', { required: true })).toThrow(
    'Input required and not supplied: missing',
  );
  process.env['INPUT_WITH-DASH'] = 'd';
  expect(log.getInput('with-dash')).toBe('d');
});

test('setOutput appends heredoc blocks; newlines and delimiter-like text survive', () => {
  const file = join(dir, 'output');
  writeFileSync(file, '');
  process.env.GITHUB_OUTPUT = file;
  const tricky = 'line 1\nghadelimiter_00000000-0000-0000-0000-000000000000\nforged=yes\n\nlast';
  log.setOutput('matrix', tricky);
  log.setOutput('json', { include: [{ service: 'a' }] });
  log.setOutput('empty', '');
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

test('each output gets a fresh random (crypto.randomUUID) delimiter', () => {
  const file = join(dir, 'output');
  writeFileSync(file, '');
  process.env.GITHUB_OUTPUT = file;
  for (let i = 0; i < 20; i++) log.setOutput(`o${i}`, 'x');
  const delimiters = [...readFileSync(file, 'utf8').matchAll(/^\w+<<ghadelimiter_(.+)$/gm)].map((m) => m[1]);
  for (const uuid of delimiters)
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(new Set(delimiters).size).toBe(20);
});

test('setOutput without GITHUB_OUTPUT writes the legacy command; with a missing file it throws', () => {
  log.setOutput('name', 'a\nb: c,d');
  expect(stdout()).toBe('\n::set-output name=name::a%0Ab: c,d\n');
  process.env.GITHUB_OUTPUT = join(dir, 'nope');
  expect(() => log.setOutput('name', 'x')).toThrow(`Missing file at path: ${join(dir, 'nope')}`);
});

test('the step summary is appended to GITHUB_STEP_SUMMARY, and skipped without one', async () => {
  await writeSummary('# ignored\n');
  const file = join(dir, 'summary.md');
  writeFileSync(file, 'before\n');
  process.env.GITHUB_STEP_SUMMARY = file;
  await writeSummary('### One');
  log.appendSummary('two | three');
  expect(readFileSync(file, 'utf8')).toBe('before\n### One\ntwo | three\n');
  expect(stdout()).toBe('');
});

const forged = [
  'projects/blue/a\n::warning title=INJECTED::forged',
  'ada\r\n::warning title=Deploy approved::forged',
  'x\r::add-mask::x',
  'x\n  \t::stop-commands::token',
  '::error::at the start',
  'anywhere ##[error]legacy syntax',
  'x\n##[add-mask]x',
  'x\u2028\n \u0085::debug::nel',
];

test.each(forged)('neutralise leaves no line that starts a workflow command: %j', (value) => {
  const text = neutralise(`value: ${value}`);
  for (const line of text.split('\n')) {
    expect(line).not.toMatch(/^[\s\u0085]*::/);
    expect(line).not.toContain('##[');
  }
  expect(text).not.toMatch(/\r/);
});

test('neutralise keeps ordinary text, and the forged text readable', () => {
  expect(neutralise('plain: text, a::b 50%')).toBe('plain: text, a::b 50%');
  expect(neutralise('a\n::warning title=X::forged')).toBe('a\n: :warning title=X::forged');
  expect(neutralise('see ##[error]x')).toBe('see ## [error]x');
  expect(neutralise(neutralise('a\n  ::x'))).toBe('a\n  : :x');
});

test('every log path goes through the choke point: info, debug, annotations (message and title), groups, setFailed', async () => {
  const value = 'ada\n::warning title=Deploy approved::forged ##[error]x';
  log.info(`by ${value}`);
  log.debug(value);
  log.notice(value, { title: value });
  log.warning(new Error(value), { title: value });
  log.error(value, { title: value });
  log.startGroup(value);
  log.endGroup();
  await log.group(value, async () => {});
  log.setFailed(value);
  const { annotations } = parseAnnotations(stdout());
  // Only the annotations we meant: error/warning/notice from our own calls, none forged.
  expect(annotations.map((a) => a.level)).toEqual(['notice', 'warning', 'error', 'error']);
  for (const a of annotations) {
    expect(a.message).toContain(': :warning');
    expect(a.message).not.toContain('##[');
    if (a.properties.title) expect(a.properties.title).toContain(': :warning');
  }
  const lines = stdout().split('\n');
  expect(lines.filter((line) => /^\s*::warning/.test(line))).toHaveLength(1);
  for (const line of lines) expect(line).not.toContain('##[');
  expect(stdout()).toContain('by ada\n: :warning title=Deploy approved::forged ## [error]x\n');
});

test('saveState/getState and exportVariable use the runner files', () => {
  const state = join(dir, 'state');
  const env = join(dir, 'env');
  writeFileSync(state, '');
  writeFileSync(env, '');
  process.env.GITHUB_STATE = state;
  process.env.GITHUB_ENV = env;
  log.saveState('pushed', 'abc');
  log.exportVariable('SD_TEST_VAR', 'v\n2');
  expect(parseFileCommands(readFileSync(state, 'utf8'))).toEqual({ pushed: 'abc' });
  expect(parseFileCommands(readFileSync(env, 'utf8'))).toEqual({ SD_TEST_VAR: 'v\n2' });
  expect(process.env.SD_TEST_VAR).toBe('v\n2');
  process.env.STATE_pushed = 'abc';
  expect(log.getState('pushed')).toBe('abc');
  expect(typeof log.getIDToken).toBe('function');
});

test('a failing action writes a job summary too: what failed, why, what had changed (escaped)', async () => {
  const file = join(dir, 'summary.md');
  writeFileSync(file, '');
  process.env.GITHUB_STEP_SUMMARY = file;
  await runAction(
    async () => {
      throw new UserError('Input "to": "<b>x|y</b>" is not valid', { file: 'cfg.yml', line: 3 });
    },
    { name: 'promote' },
  );
  expect(process.exitCode).toBe(1);
  let text = readFileSync(file, 'utf8');
  expect(text).toContain('### promote: refused');
  expect(text).toContain('&lt;b&gt;x&#124;y&lt;/b&gt;');
  expect(text).toContain('cfg.yml:3');
  expect(text).toContain('Changes recorded before the failure: none.');
  expect(parseAnnotations(stdout()).annotations[0]!.properties.file).toBe('cfg.yml');

  writeFileSync(file, '');
  recordChange('registry tag dev moved to sha256:aaa');
  await runAction(async () => {
    throw new Error('push failed');
  });
  text = readFileSync(file, 'utf8');
  expect(text).toContain(': failed (unexpected error)');
  expect(text).toContain('- registry tag dev moved to sha256:aaa');
});
