/**
 * The layers of docs/ARCHITECTURE.md are enforced by the lint: a forbidden import in each layer
 * fails it, naming the rule. Linted in memory as if the file were in that layer.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { ESLint } from 'eslint';
import { ROOT } from '@sd-actions/testkit';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${filePath}` });
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test.each([
  ['packages/core/src/x.ts', "import { readFileSync } from 'node:fs';", 'no I/O'],
  ['packages/core/src/x.ts', "import { spawn } from 'child_process';", 'no I/O'],
  ['packages/core/src/x.ts', "import { Git } from '@sd-actions/git';", 'imports no other layer'],
  ['packages/git/src/x.ts', "import { log } from '@sd-actions/action-kit';", 'never write runner commands'],
  ['packages/gitops/src/x.ts', "import * as core from '@actions/core';", 'never write runner commands'],
  [
    'packages/registry/src/x.ts',
    "import { tempDir } from '@sd-actions/testkit';",
    'never write runner commands',
  ],
  ['actions/promote/src/x.ts', "import { runAction } from '@sd-actions/testkit';", 'test/demo/development'],
  ['actions/status/src/x.ts', "import { demo } from '@sd-actions/demo';", 'test/demo/development'],
  ['actions/status/src/x.ts', "import * as core from '@actions/core';", "log through action-kit's `log`"],
  [
    'packages/cli/src/x.ts',
    "import { configInput } from '@sd-actions/action-kit';",
    'The CLI is not an action',
  ],
])('%s: %s fails the lint', async (file, code, why) => {
  const messages = await restricted(
    file,
    `${code}\nexport const used = [${code
      .match(/\{ (\w+) \}|\* as (\w+)/)!
      .slice(1)
      .find(Boolean)}];\n`,
  );
  expect(messages).toHaveLength(1);
  expect(messages[0]).toContain(why);
});

test.each([
  ['packages/core/src/x.ts', "import { isDeepStrictEqual } from 'node:util';"],
  ['packages/gitops/src/x.ts', "import { Git } from '@sd-actions/git';"],
  ['actions/promote/src/x.ts', "import { log } from '@sd-actions/action-kit';"],
  ['packages/cli/src/x.ts', "import { readDeployed } from '@sd-actions/gitops';"],
])('%s: %s is allowed', async (file, code) => {
  expect(await restricted(file, `${code}\n`)).toEqual([]);
});
