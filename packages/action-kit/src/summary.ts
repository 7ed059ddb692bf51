/**
 * Job summaries: tables people would rather read than logs. Cells are escaped so a value can
 * never break the table or inject markup.
 */
import { escapeCell } from '@sd-actions/core';
import { summary } from './log.js';

export { escapeCell };

/** A GitHub-flavoured markdown table. Cells are plain text unless wrapped with `raw()`. */
export function markdownTable(headers: string[], rows: (string | Raw)[][]): string {
  const cell = (c: string | Raw) => (typeof c === 'string' ? escapeCell(c) : c.html);
  const lines = [`| ${headers.map(cell).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

export interface Raw {
  html: string;
}

/** Mark text as already-safe markup (our own code, links we built). */
export function raw(html: string): Raw {
  return { html };
}

export function code(text: string): Raw {
  return raw(`<code>${escapeCell(text)}</code>`);
}

export function link(text: string, url: string | undefined): Raw | string {
  if (!url || !/^https?:\/\//.test(url)) return text;
  return raw(`<a href="${escapeCell(url)}">${escapeCell(text)}</a>`);
}

/** Append markdown to the step summary, if the runner gave us one. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await summary.addRaw(markdown, true).write();
}
