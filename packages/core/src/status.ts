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

/** A plain-text table for terminals. */
export function renderStatusText(config: Config, rows: StatusRow[]): string {
  const envs = [...config.environments.values()];
  const header = ['service', ...envs.map((e) => e.name)];
  const body = rows.map((r) => [r.service, ...r.cells.map((c, i) => describeCell(c, envs[i]?.from))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...body.map(line)].join('\n');
}
