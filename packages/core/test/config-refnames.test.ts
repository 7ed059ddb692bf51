import { describe, expect, test } from '@jest/globals';
import { parseConfig, UserError } from '../src/index.js';

async function message(text: string): Promise<string> {
  try {
    await parseConfig(text);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  return 'accepted';
}

describe('service names must form their release tag and branch', () => {
  test.each([
    ['a valid config', 'services: { api: { path: a }, web: { path: w } }\n', 'accepted'],
    [
      'the service twice in the tag',
      'services: { a: { path: a }, b.lock: { path: b } }\ngit: { tag: "{service}/{version}/{service}" }\n',
      '"b.lock" cannot be a service name: its release tag "b.lock/1.0.0/b.lock" (git.tag) is not a valid git ref name (has a component ending with ".lock" ("b.lock"))',
    ],
    [
      'a name that is no ref name itself, reported with the tag',
      'services: { a: { path: a }, b.lock: { path: b } }\ngit: { tag: "{service}-v{version}", releaseBranch: "release/{service}" }\n',
      '"b.lock" cannot be a service name: its release tag "b.lock-v1.0.0" (git.tag) is not a valid git ref name (has a component ending with ".lock" ("b.lock"))',
    ],
    [
      'a placeholder the tag cannot know',
      'services: { api: { path: a } }\ngit: { tag: "{service}/{sha}" }\n',
      '{sha}',
    ],
  ])('%s', async (_, text, expected) => {
    expect(await message(text)).toContain(expected);
  });
});
