/**
 * What the notify bundle sent, read back from the loopback webhook receiver and shown compactly:
 * one line per message (the title, then the version change and the why), within `width` columns.
 */
import type { ReceivedRequest } from '@sd-actions/testkit';

const unescapeSlack = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The text lines of a Slack payload (header, then each section's text and fields as "Title: value"). */
function slackLines(payload: { text?: string; blocks?: unknown[] }): string[] {
  const lines: string[] = [];
  const mrkdwn = (text: string) => unescapeSlack(text.replace(/^\*([^*\n]+)\*\n/, '$1: ').replace(/`/g, ''));
  for (const b of payload.blocks ?? []) {
    const block = b as { type?: string; text?: { text?: string }; fields?: { text?: string }[] };
    const text = block.text?.text;
    if (block.type === 'header' && text) lines.push(text);
    else if (block.type === 'section') {
      if (text) lines.push(mrkdwn(text));
      for (const f of block.fields ?? []) if (f.text) lines.push(mrkdwn(f.text));
    }
  }
  return lines;
}

/** The text lines of a Teams adaptive card (each rich-text block's runs joined). */
function teamsLines(payload: { attachments?: { content?: { body?: unknown[] } }[] }): string[] {
  const body = payload.attachments?.[0]?.content?.body ?? [];
  return body.map((b) =>
    ((b as { inlines?: { text?: string }[] }).inlines ?? []).map((r) => r.text ?? '').join(''),
  );
}

export function fit(line: string, width = 120): string {
  const indent = /^ */.exec(line)![0];
  const chars = [...`${indent}${line.trim().replace(/\s+/g, ' ')}`];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : chars.join('');
}

/** Wrap at spaces within `width` columns; continuation lines indented by `indent`. */
export function wrap(text: string, width = 120, indent = '  '): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    const lead = /^ */.exec(para)![0];
    let line = lead;
    for (const word of para.trim().split(/ +/)) {
      const next = line.trim() ? `${line} ${word}` : `${line}${word}`;
      if ([...next].length > width && line.trim()) {
        out.push(line);
        line = `${indent}${word}`;
      } else line = next;
    }
    out.push(line);
  }
  return out.map((l) => fit(l, width));
}

/** Two compact lines per message: `slack ← <title> · Version: …`, then the why. */
export function compactMessages(requests: ReceivedRequest[], width = 120): string[] {
  return requests.flatMap((r) => {
    const kind = r.path.includes('teams') ? 'teams' : 'slack';
    const lines =
      kind === 'slack'
        ? slackLines(r.json as Parameters<typeof slackLines>[0])
        : teamsLines(r.json as Parameters<typeof teamsLines>[0]);
    const [title = '', ...rest] = lines;
    const version = rest.filter((l) => l.startsWith('Version:'));
    const why = rest.filter((l) => /^(Failing check|Why|Error|Reason):/.test(l));
    return [
      fit(`   ${kind} ← ${[title, ...version].join(' · ')}`, width),
      ...why.map((l) => fit(`           ${l}`, width)),
    ];
  });
}
