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

/** The web page of a commit of this repository, when the runner told us the repository. */
export function commitUrl(
  context: { serverUrl: string; repository: string },
  sha: string,
): string | undefined {
  return context.repository ? `${context.serverUrl}/${context.repository}/commit/${sha}` : undefined;
}

/** A collapsible diff for a summary; a ``` in the diff cannot end the code block. */
export function diffDetails(title: string, diff: string): string {
  return `\n<details open><summary>${escapeCell(title)}</summary>\n\n\`\`\`diff\n${diff.replace(/```/g, '`\u200b``')}\n\`\`\`\n\n</details>\n`;
}

/** Append markdown to the step summary, if the runner gave us one. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  await summary.addRaw(markdown, true).write();
}
