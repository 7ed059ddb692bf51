/**
 * The one error path every action uses: a failure becomes an error annotation, exit code 1 and a
 * job summary saying what failed, why, and what had already changed. User errors (bad input, bad
 * config, refused promotions) show only their message, pointing at the file and line when known;
 * anything else is a bug and also logs its stack.
 */
import * as log from './log.js';
import { isUserError } from '@sd-actions/core';
import { escapeCell } from './summary.js';

const changes: string[] = [];

/**
 * Record a change this run made outside itself (a pushed commit, a moved registry tag), in plain
 * text. If the action later fails, its failure summary lists these, so a reader knows what the
 * failed run left behind.
 */
export function recordChange(description: string): void {
  changes.push(description);
}

/** The changes recorded so far (a copy). */
export function recordedChanges(): string[] {
  return [...changes];
}

export interface RunActionOptions {
  /** The action's name for the failure summary (default: GITHUB_ACTION, else "sd-actions"). */
  name?: string;
}

export async function runAction(main: () => Promise<void>, options: RunActionOptions = {}): Promise<void> {
  try {
    await main();
  } catch (err) {
    reportFailure(err);
    await writeFailureSummary(err, options.name);
  }
}

export function reportFailure(err: unknown): void {
  if (isUserError(err)) {
    log.error(err.message, {
      title: 'sd-actions',
      file: err.file,
      startLine: err.line,
      startColumn: err.column,
    });
    process.exitCode = 1;
    return;
  }
  const error = err instanceof Error ? err : new Error(String(err));
  log.error(`${error.message}`, { title: 'sd-actions: unexpected error' });
  if (error.stack) log.info(error.stack);
  process.exitCode = 1;
}

/** The markdown of a failure summary: escaped, like every summary. */
export function failureSummary(err: unknown, name: string, changed: readonly string[]): string {
  const user = isUserError(err);
  const message = err instanceof Error ? err.message : String(err);
  const lines = [
    `### ${escapeCell(name)}: ${user ? 'refused' : 'failed (unexpected error)'}`,
    '',
    `> ${escapeCell(message)}`,
    '',
  ];
  if (user && 'file' in (err as object) && (err as { file?: string }).file) {
    const { file, line } = err as { file: string; line?: number };
    lines.push(`Where: <code>${escapeCell(file)}${line ? `:${line}` : ''}</code>`, '');
  }
  if (changed.length === 0) lines.push('Changes recorded before the failure: none.');
  else {
    lines.push('Changed before the failure:', '');
    for (const change of changed) lines.push(`- ${escapeCell(change)}`);
  }
  return lines.join('\n') + '\n';
}

async function writeFailureSummary(err: unknown, name?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const title = name ?? (process.env.GITHUB_ACTION || 'sd-actions');
  try {
    log.appendSummary(failureSummary(err, title, changes));
  } catch (summaryError) {
    log.warning(`The failure summary could not be written: ${(summaryError as Error).message}`);
  }
}
