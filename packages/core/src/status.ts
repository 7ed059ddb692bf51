/**
 * The status matrix: services × environments — what runs where, since when, by whom, and which
 * environments lag behind the one they are promoted from. Pure: the caller reads the manifests.
 */
import type { Config } from './config.js';

export interface DeployedEntry {
  version: string;
  digest: string;
  image?: string;
  commit?: string;
  promotedAt?: string;
  promotedBy?: string;
}

export interface StatusCell {
  environment: string;
  entry?: DeployedEntry;
  /** This environment runs a different digest than its `from` environment (or nothing yet). */
  behind: boolean;
}

export interface StatusRow {
  service: string;
  cells: StatusCell[];
}

/** `deployed`: environment → service → entry, as read from each environment's manifest. */
export function statusMatrix(config: Config, deployed: Map<string, Map<string, DeployedEntry>>): StatusRow[] {
  const envs = [...config.environments.values()];
  return [...config.services.keys()].map((service) => ({
    service,
    cells: envs.map((env) => {
      const entry = deployed.get(env.name)?.get(service);
      const upstream = env.from ? deployed.get(env.from)?.get(service) : undefined;
      return {
        environment: env.name,
        entry,
        behind: upstream !== undefined && upstream.digest !== entry?.digest,
      };
    }),
  }));
}

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/** One cell as text: "1.6.1 · 4f1c2a9b3c0d · 2026-01-20 alice ⚠ behind dev". */
export function describeCell(cell: StatusCell, fromName?: string): string {
  if (!cell.entry) return cell.behind ? `— (behind ${fromName})` : '—';
  const e = cell.entry;
  const when = e.promotedAt ? ` · ${e.promotedAt.slice(0, 16).replace('T', ' ')}` : '';
  const who = e.promotedBy ? ` ${e.promotedBy}` : '';
  return `${e.version} · ${shortDigest(e.digest)}${when}${who}${cell.behind ? ` ⚠ behind ${fromName}` : ''}`;
}

/** One cell, shorter: no date; then no actor, a 7-character digest and ⚠ for "behind". */
function compactCell(cell: StatusCell, fromName: string | undefined, level: 1 | 2): string {
  if (level === 1)
    return describeCell({ ...cell, entry: cell.entry && { ...cell.entry, promotedAt: undefined } }, fromName);
  if (!cell.entry) return cell.behind ? '— ⚠' : '—';
  const e = cell.entry;
  return `${e.version} ${shortDigest(e.digest).slice(0, 7)}${cell.behind ? ' ⚠' : ''}`;
}

/**
 * A plain-text table for terminals. With `maxWidth`, cells drop detail (the date, then the actor)
 * until the table fits; the tightest form marks "behind" with ⚠ and explains it below.
 */
export function renderStatusText(
  config: Config,
  rows: StatusRow[],
  options: { maxWidth?: number } = {},
): string {
  const envs = [...config.environments.values()];
  const header = ['service', ...envs.map((e) => e.name)];
  const render = (level: 0 | 1 | 2) => {
    const body = rows.map((r) => [
      r.service,
      ...r.cells.map((c, i) =>
        level === 0 ? describeCell(c, envs[i]?.from) : compactCell(c, envs[i]?.from, level),
      ),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    const lines = [line(header), line(widths.map((w) => '─'.repeat(w))), ...body.map(line)];
    if (level === 2 && rows.some((r) => r.cells.some((c) => c.behind)))
      lines.push('⚠ = behind the environment it is promoted from');
    return lines;
  };
  for (const level of [0, 1, 2] as const) {
    const lines = render(level);
    if (
      options.maxWidth === undefined ||
      level === 2 ||
      Math.max(...lines.map((l) => [...l].length)) <= options.maxWidth
    )
      return lines.join('\n');
  }
  return render(2).join('\n');
}
