/**
 * The status view as ONE self-contained HTML page: inline CSS, no script, no external request
 * (a Content-Security-Policy says so to the browser too), every value HTML-escaped. The matrix
 * first, then the ledger of each environment as a timeline, newest first.
 */
import type { HistoryRow } from './ledger.js';
import { shortDigest } from './status.js';
import { driftLabel, markLabel, type StatusView, type StatusViewCell } from './status-view.js';

/** Escape text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const h = escapeHtml;

/** Only http(s) links; anything else is shown as text. */
function link(url: string | undefined, text: string): string {
  return url && /^https?:\/\/[^\s"'<>]+$/.test(url) ? `<a href="${h(url)}">${h(text)}</a>` : h(text);
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1f2328;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}h3{font-size:1rem;margin:1.25rem 0 .4rem}
.meta{color:#59636e;margin:0 0 1rem}
table.matrix{border-collapse:collapse}
.matrix th,.matrix td{border:1px solid #d1d9e0;padding:.45rem .6rem;vertical-align:top;text-align:left}
.matrix th{background:#f6f8fa}
.version{font-weight:600}.digest,.commit{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;color:#59636e}
.mark{display:inline-block;border-radius:1em;padding:0 .5em;font-size:.85em;margin-left:.3em}
.mark-healthy{background:#dafbe1;color:#116329}.mark-unhealthy{background:#ffebe9;color:#a40e26}
.mark-inconclusive{background:#fff8c5;color:#7d4e00}.mark-unverified{background:#eff2f5;color:#59636e}
.drift{color:#9a6700;font-size:.9em}.drift-in-sync,.drift-none{display:none}
.quarantine{color:#a40e26;font-size:.9em}.pending{color:#0550ae;font-size:.9em}
.empty{color:#818b98}
ol.timeline{list-style:none;margin:0;padding:0 0 0 1rem;border-left:2px solid #d1d9e0}
.timeline li{margin:0 0 .6rem;position:relative}
.timeline li::before{content:"";position:absolute;left:-1.4rem;top:.45rem;width:.6rem;height:.6rem;border-radius:50%;background:#818b98}
.timeline .kind-promotion::before{background:#0969da}.timeline .kind-verification::before{background:#1a7f37}
.timeline .kind-rollback::before{background:#cf222e}.timeline .kind-approval::before{background:#8250df}
.timeline .kind-override::before{background:#bf8700}.timeline .kind-malformed::before{background:#6e7781}
.kind{font-weight:600;text-transform:capitalize}.when,.who{color:#59636e}
.notes{color:#59636e}
`;

function cellHtml(cell: StatusViewCell, from: string | undefined): string {
  const parts: string[] = [];
  if (!cell.entry) parts.push('<span class="empty">—</span>');
  else {
    const e = cell.entry;
    parts.push(
      `<span class="version">${h(e.version)}</span> <span class="digest" title="${h(e.digest)}">${h(shortDigest(e.digest))}</span>`,
    );
    if (cell.mark !== undefined)
      parts.push(`<span class="mark mark-${h(cell.mark)}">${h(markLabel(cell.mark))}</span>`);
    const by = [e.promotedAt ? e.promotedAt.slice(0, 16).replace('T', ' ') : '', e.promotedBy ?? '']
      .filter(Boolean)
      .join(' · ');
    if (by) parts.push(`<div class="who">${h(by)}</div>`);
  }
  const drift = driftLabel(cell.drift, from);
  if (drift) parts.push(`<div class="drift drift-${h(cell.drift)}">${h(drift)}</div>`);
  for (const q of cell.quarantined)
    parts.push(
      `<div class="quarantine" title="${h(`${q.digest} at ${q.at} by ${q.by}`)}">⛔ ${h(q.version)} quarantined: ${h(q.reason)}</div>`,
    );
  for (const p of cell.pending)
    parts.push(
      `<div class="pending">⏳ ${link(p.url, `${p.version} awaits approval (#${p.number})`)}, asked by ${h(p.requester)}</div>`,
    );
  return parts.join('');
}

function timelineItem(row: HistoryRow): string {
  const who = row.actor ? ` <span class="who">by ${h(row.actor)}</span>` : '';
  const run = row.runUrl ? ` · ${link(row.runUrl, 'run')}` : '';
  return (
    `<li class="kind-${h(row.kind)}"><span class="kind">${h(row.kind)}</span> ` +
    `${h(row.service ?? '?')}: ${h(row.detail)}${who} ` +
    `<span class="when">${h(row.date)}</span> <span class="commit">${h(row.commit.slice(0, 12))}</span>${run}</li>`
  );
}

export interface StatusHtmlOptions {
  title?: string;
  /** When the page was made (ISO 8601), shown under the title. */
  generatedAt?: string;
  /** Only this service in the timelines. */
  service?: string;
}

export function renderStatusHtml(view: StatusView, options: StatusHtmlOptions = {}): string {
  const title = options.title ?? 'sd-actions status';
  const head = `<tr><th>Service</th>${view.environments
    .map((e) => `<th>${h(e.name)}${e.from ? ` <span class="when">(from ${h(e.from)})</span>` : ''}</th>`)
    .join('')}</tr>`;
  const body = view.rows
    .map(
      (row) =>
        `<tr><th scope="row">${h(row.service)}</th>${row.cells
          .map(
            (c, i) =>
              `<td data-environment="${h(c.environment)}">${cellHtml(c, view.environments[i]?.from)}</td>`,
          )
          .join('')}</tr>`,
    )
    .join('\n');
  const timelines = view.history
    .map(({ environment, rows }) => {
      const shown = options.service === undefined ? rows : rows.filter((r) => r.service === options.service);
      const items = shown.length
        ? `<ol class="timeline">\n${shown.map(timelineItem).join('\n')}\n</ol>`
        : '<p class="empty">No ledger records.</p>';
      return `<section class="ledger" data-environment="${h(environment)}"><h3>${h(environment)}</h3>\n${items}</section>`;
    })
    .join('\n');
  const notes = view.notes.length
    ? `<ul class="notes">${view.notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${h(title)}</h1>
${options.generatedAt ? `<p class="meta">Generated ${h(options.generatedAt)}</p>` : ''}
<h2>What runs where</h2>
<table class="matrix">
<thead>${head}</thead>
<tbody>
${body}
</tbody>
</table>
${notes}
<h2>Ledger</h2>
${timelines || '<p class="empty">The ledger was not read.</p>'}
</body>
</html>
`;
}
