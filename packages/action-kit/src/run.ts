/**
 * The one error path every action uses: a failure becomes `setFailed` plus an error annotation.
 * User errors (bad input, bad config, refused promotions) show only their message, pointing at
 * the file and line when known; anything else is a bug and also logs its stack.
 */
import * as core from './runner.js';
import { isUserError } from '@sd-actions/core';

export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    reportFailure(err);
  }
}

export function reportFailure(err: unknown): void {
  if (isUserError(err)) {
    core.error(err.message, {
      title: 'sd-actions',
      file: err.file,
      startLine: err.line,
      startColumn: err.column,
    });
    process.exitCode = 1;
    return;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  core.error(`${error.message}`, { title: 'sd-actions: unexpected error' });
  if (error.stack) core.info(error.stack);
  process.exitCode = 1;
}
