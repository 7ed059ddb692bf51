/**
 * The status matrix: services × environments — what runs where, since when, by whom, and which
 * environments lag behind the one they are promoted from. Pure: the caller reads the manifests.
 */
import semver from 'semver';
import type { Config } from './config.js';
import { classifyVersion } from './versions.js';

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
  /**
   * Behind its `from` environment: a lower version, a build of an earlier commit (when ancestry is
   * known), or nothing where `from` runs the service. A different digest alone is not "behind".
   */
  behind: boolean;
}

export interface StatusRow {
  service: string;
  cells: StatusCell[];
}

/**
 * How a cell relates to its `from` environment:
 * - `in-sync`  the same digest;
 * - `behind`   `from` runs a higher version, or a build of a later commit (ours is its ancestor);
 * - `missing`  `from` runs the service, this environment does not yet;
 * - `ahead`    this environment runs a higher version or a later commit (e.g. a hotfix);
 * - `diverged` neither commit contains the other (a hotfix from a release line);
 * - `differs`  another artifact, and nothing to order them by (unknown commits, same version);
 * - `none`     no `from` environment, or nothing there.
 */
export type Drift = 'in-sync' | 'behind' | 'missing' | 'ahead' | 'diverged' | 'differs' | 'none';

/** Whether commit `a` is an ancestor of commit `b`; undefined when that cannot be known. */
export type AncestryLookup = (a: string, b: string) => boolean | undefined;

/** Where this cell stands against the same service in its `from` environment. */
export function compareToFrom(
  entry: DeployedEntry | undefined,
  upstream: DeployedEntry | undefined,
  isAncestor: AncestryLookup = () => undefined,
): Drift {
  if (!upstream) return 'none';
  if (!entry) return 'missing';
  if (entry.digest === upstream.digest) return 'in-sync';
  if (classifyVersion(entry.version) === 'release' && classifyVersion(upstream.version) === 'release') {
    const order = semver.compare(entry.version, upstream.version);
    if (order < 0) return 'behind';
    if (order > 0) return 'ahead';
  }
  if (entry.commit && upstream.commit && entry.commit !== upstream.commit) {
    if (isAncestor(entry.commit, upstream.commit)) return 'behind';
    if (isAncestor(upstream.commit, entry.commit)) return 'ahead';
    if (
      isAncestor(entry.commit, upstream.commit) === false &&
      isAncestor(upstream.commit, entry.commit) === false
    )
      return 'diverged';
  }
  return 'differs';
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
        behind: ['behind', 'missing'].includes(compareToFrom(entry, upstream)),
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
