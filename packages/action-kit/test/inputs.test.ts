import { afterEach, expect, test } from '@jest/globals';
import {
  getBoolean,
  getEnum,
  getInteger,
  getJson,
  getList,
  getString,
  markdownTable,
  raw,
} from '../src/index.js';

const set = (name: string, value: string) => (process.env[`INPUT_${name.toUpperCase()}`] = value);
afterEach(() => {
  for (const key of Object.keys(process.env)) if (key.startsWith('INPUT_')) delete process.env[key];
});

test('getString: required, optional and patterns name the input and the value', () => {
  expect(getString('service')).toBeUndefined();
  expect(() => getString('service', { required: true })).toThrow(
    'Input "service" is required but was not given',
  );
  set('version', '1.x');
  expect(() => getString('version', { pattern: /^\d+\.\d+\.\d+$/, expected: 'semver like 1.2.3' })).toThrow(
    'Input "version": "1.x" is not valid; expected semver like 1.2.3',
  );
  set('version', '  1.2.3 ');
  expect(getString('version', { pattern: /^\d+\.\d+\.\d+$/ })).toBe('1.2.3');
});

test('getBoolean accepts the YAML 1.2 core spellings and rejects the rest', () => {
  expect(getBoolean('dry-run')).toBe(false);
  for (const v of ['true', 'True', 'TRUE', ' true '])
    expect((set('dry-run', v), getBoolean('dry-run'))).toBe(true);
  for (const v of ['false', 'False', 'FALSE'])
    expect((set('dry-run', v), getBoolean('dry-run', true))).toBe(false);
  // Like @actions/core's getBooleanInput: the YAML 1.1 spellings are refused, not guessed.
  for (const v of ['maybe', 'yes', 'on', '1', 'no', 'off', '0', 'tRUE']) {
    set('dry-run', v);
    expect(() => getBoolean('dry-run')).toThrow(
      `Input "dry-run": ${JSON.stringify(v)} is not valid; expected true or false`,
    );
  }
});

test('getList reads lines, commas, comments and JSON arrays', () => {
  expect(getList('services')).toEqual([]);
  set('services', 'blue\n green , red\n# a comment\n\nyellow # trailing');
  expect(getList('services')).toEqual(['blue', 'green', 'red', 'yellow']);
  set('services', '["blue","green"]');
  expect(getList('services')).toEqual(['blue', 'green']);
  set('services', '[1,2]');
  expect(() => getList('services')).toThrow('expected a JSON array of strings');
});

test('getEnum, getInteger and getJson reject bad values by name', () => {
  set('mode', 'sometimes');
  expect(() => getEnum('mode', ['warn', 'fail'] as const, 'fail')).toThrow(
    'Input "mode": "sometimes" is not valid; expected one of warn, fail',
  );
  set('depth', '12abc');
  expect(() => getInteger('depth', 1, 1, 100)).toThrow('expected a whole number from 1 to 100');
  set('depth', '50');
  expect(getInteger('depth', 1, 1, 100)).toBe(50);
  set('data', '{oops');
  expect(() => getJson('data')).toThrow(/Input "data": "\{oops" is not valid; expected JSON/);
});

test('markdownTable escapes cells so values cannot break the table or inject markup', () => {
  const table = markdownTable(
    ['A', 'B'],
    [
      ['x|y', '<script>'],
      [raw('<b>ok</b>'), 'line\nbreak'],
    ],
  );
  expect(table).toBe(
    '| A | B |\n| --- | --- |\n| x&#124;y | &lt;script&gt; |\n| <b>ok</b> | line<br>break |\n',
  );
});
