/** Child processes: the tool's PATH lookup happens once, not on every git call. */
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess, toolPath } from '@sd-actions/git';
import { removeDir, tempDir } from '@sd-actions/testkit';

describe('toolPath', () => {
  test('a bare name resolves to the first executable on PATH, skipping non-executables and directories', () => {
    const root = tempDir('tool-path-');
    try {
      const [a, b, c] = ['a', 'b', 'c'].map((d) => join(root, d));
      mkdirSync(join(a!, 'mytool'), { recursive: true }); // a directory
      mkdirSync(b!);
      writeFileSync(join(b!, 'mytool'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
      mkdirSync(c!);
      writeFileSync(join(c!, 'mytool'), '#!/bin/sh\necho found\n', { mode: 0o755 });
      const path = [a, b, c].join(':');
      expect(toolPath('mytool', path)).toBe(join(c!, 'mytool'));
      expect(toolPath('not-a-tool-anywhere', path)).toBe('not-a-tool-anywhere');
      expect(toolPath('./rel/tool', path)).toBe('./rel/tool');
    } finally {
      removeDir(root);
    }
  });

  test('runProcess runs through the resolved path with the same result', async () => {
    expect(toolPath('git')).toMatch(/^\/.*\/git$/);
    const r = await runProcess('git', ['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^git version/);
  });
});
