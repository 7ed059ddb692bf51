import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { show } from '@sd-actions/core';
import { readConfigFile } from '../src/index.js';

let dir: string;
let workspace: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'action-kit-config-'));
  workspace = join(dir, 'ws');
  mkdirSync(join(workspace, '.github'), { recursive: true });
  writeFileSync(join(workspace, '.github/sd-actions.yml'), 'services: {}\n');
  writeFileSync(join(dir, 'secret.yml'), 'password: hunter2\n');
  symlinkSync(join(dir, 'secret.yml'), join(workspace, 'out.yml'));
  symlinkSync('.github/sd-actions.yml', join(workspace, 'in.yml'));
  symlinkSync(dir, join(workspace, 'up'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a config path inside the workspace is read, relative or absolute, also through an inner symlink', () => {
  expect(readConfigFile(workspace, '.github/sd-actions.yml')).toEqual({
    text: 'services: {}\n',
    file: '.github/sd-actions.yml',
  });
  expect(readConfigFile(workspace, join(workspace, '.github/sd-actions.yml')).file).toBe(
    '.github/sd-actions.yml',
  );
  expect(readConfigFile(workspace, 'in.yml').text).toBe('services: {}\n');
});

test.each([['/etc/passwd'], ['../secret.yml'], ['.github/../../secret.yml'], ['out.yml'], ['up/secret.yml']])(
  'config %j outside the workspace is refused, naming the value and the fix, without its content',
  (path) => {
    let message = '';
    try {
      readConfigFile(workspace, path);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`Input "config": ${JSON.stringify(path)} is outside the workspace`);
    expect(message).toContain('expected a path inside the repository, like .github/sd-actions.yml');
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('root:');
  },
);

test('the CLI names its own option, not an action input', () => {
  expect(() => readConfigFile(workspace, '/etc/passwd', { label: '--config' })).toThrow(
    /^--config: "\/etc\/passwd" is outside/,
  );
});

test('a missing config names the path and where to read about it', () => {
  expect(() => readConfigFile(workspace, 'nope.yml')).toThrow('Input "config": "nope.yml" does not exist in');
});

test('messages quote at most an 80-character excerpt of a value', () => {
  const long = 'x'.repeat(5000);
  expect(show(long)).toBe(`${JSON.stringify('x'.repeat(77))}... (5000 characters)`);
  expect(show('short')).toBe('"short"');
  expect(() => readConfigFile(workspace, `../${long}`)).toThrow(/\.\.\. \(5003 characters\) is outside/);
});
