/**
 * The status view (issues 13/14): the status matrix with what the ledger and GitHub know about
 * each cell — the running version's verification mark (✓ healthy, ✗ unhealthy, ? inconclusive,
 * or unverified), the versions quarantined there, the approval requests still open for it, and
 * how it relates to its `from` environment. "Behind" is decided by version, then by source-commit
 * ancestry, never by "the digest differs": a hotfix promoted straight into staging is not behind
 * dev. Pure: the adapters read manifests, ledgers and issues and hand them in.
 */
import type { Config } from './config.js';
import {
  ledgerHistory,
  verificationMark,
  type HistoryRow,
  type Ledger,
  type VerificationMark,
} from './ledger.js';
import type { QuarantineEntry } from './quarantine.js';
import { compareToFrom, shortDigest, type AncestryLookup, type DeployedEntry, type Drift } from './status.js';

/** The commit pairs `compareToFrom` may ask about, so an adapter can resolve them up front. */
export function ancestryQuestions(
  config: Config,
  deployed: ReadonlyMap<string, ReadonlyMap<string, DeployedEntry>>,
): [string, string][] {
  const out: [string, string][] = [];
  for (const env of config.environments.values()) {
    if (!env.from) continue;
    for (const service of config.services.keys()) {
      const a = deployed.get(env.name)?.get(service)?.commit;
      const b = deployed.get(env.from)?.get(service)?.commit;
      if (a && b && a !== b) out.push([a, b], [b, a]);
    }
  }
  return out;
}

/** An open approval request (an `sd-approval` issue) for one service and environment. */
export interface PendingApproval {
  service: string;
  environment: string;
  version: string;
  digest: string;
  number: number;
  url: string;
  requester: string;
  requestedAt: string;
}

export interface StatusViewCell {
  environment: string;
  entry?: DeployedEntry;
  drift: Drift;
  /** Kept for the `behind` output: `behind` or `missing`. */
  behind: boolean;
  /** The running version's newest verdict (only when something runs). */
  mark?: VerificationMark;
  /** The commit of that verdict. */
  verifiedBy?: { commit: string; date: string; actor?: string };
  quarantined: QuarantineEntry[];
  pending: PendingApproval[];
}

export interface StatusViewRow {
  service: string;
  cells: StatusViewCell[];
}

export interface StatusView {
  environments: { name: string; from?: string }[];
  rows: StatusViewRow[];
  /** Whether open approval requests were read (a token and a repository were available). */
  approvalsChecked: boolean;
  /** Per environment, the ledger as history rows, newest first (empty when not read). */
  history: { environment: string; rows: HistoryRow[] }[];
  /** Things the reader should know (malformed records, approvals not checked, …). */
  notes: string[];
}

export interface StatusViewInput {
  deployed: ReadonlyMap<string, ReadonlyMap<string, DeployedEntry>>;
  ledgers?: ReadonlyMap<string, Ledger>;
  quarantine?: ReadonlyMap<string, readonly QuarantineEntry[]>;
  /** Open requests; undefined when they could not be read (no token). */
  pending?: readonly PendingApproval[];
  isAncestor?: AncestryLookup;
  /** Why `pending` is missing, for the notes (default: no token). */
  approvalsNote?: string;
}

export function buildStatusView(config: Config, input: StatusViewInput): StatusView {
  const envs = [...config.environments.values()];
  const notes: string[] = [];
  const rows = [...config.services.keys()].map((service) => ({
    service,
    cells: envs.map((env): StatusViewCell => {
      const entry = input.deployed.get(env.name)?.get(service);
      const upstream = env.from ? input.deployed.get(env.from)?.get(service) : undefined;
      const drift = compareToFrom(entry, upstream, input.isAncestor);
      const cell: StatusViewCell = {
        environment: env.name,
        drift,
        behind: drift === 'behind' || drift === 'missing',
        quarantined: (input.quarantine?.get(env.name) ?? []).filter((q) => q.service === service),
        pending: (input.pending ?? []).filter((p) => p.service === service && p.environment === env.name),
      };
      if (entry) {
        cell.entry = entry;
        const ledger = input.ledgers?.get(env.name);
        if (ledger) {
          cell.mark = verificationMark(ledger, entry.version, entry.digest);
          const verdict = ledger.events.find(
            (e) => e.kind === 'verification' && e.version === entry.version && e.digest === entry.digest,
          );
          if (verdict)
            cell.verifiedBy = {
              commit: verdict.sha,
              date: verdict.date,
              ...(verdict.kind !== 'malformed' && verdict.actor ? { actor: verdict.actor } : {}),
            };
        }
      }
      return cell;
    }),
  }));
  const history = envs.flatMap((env) => {
    const ledger = input.ledgers?.get(env.name);
    if (!ledger) return [];
    if (ledger.malformed.length > 0)
      notes.push(
        `${env.name}: ${ledger.malformed.length} ledger record(s) not trusted (malformed), e.g. ${ledger.malformed[0]!.sha.slice(0, 12)}: ${ledger.malformed[0]!.problems.join('; ')}`,
      );
    return [{ environment: env.name, rows: ledgerHistory(ledger) }];
  });
  if (input.pending === undefined)
    notes.push(input.approvalsNote ?? 'Approval requests not checked: no GitHub token.');
  return {
    environments: envs.map((e) => (e.from ? { name: e.name, from: e.from } : { name: e.name })),
    rows,
    approvalsChecked: input.pending !== undefined,
    history,
    notes,
  };
}

const MARK_SYMBOL: Record<VerificationMark, string> = {
  healthy: '✓',
  unhealthy: '✗',
  inconclusive: '?',
  unverified: '·',
};

/** The mark as a word for people: "verified ✓", "unhealthy ✗", "inconclusive ?", "unverified". */
export function markLabel(mark: VerificationMark): string {
  if (mark === 'healthy') return 'verified ✓';
  if (mark === 'unverified') return 'unverified';
  return `${mark} ${MARK_SYMBOL[mark]}`;
}

/** How the drift reads after a cell, e.g. "⚠ behind dev"; empty when there is nothing to say. */
export function driftLabel(drift: Drift, from: string | undefined): string {
  switch (drift) {
    case 'behind':
    case 'missing':
      return `⚠ behind ${from}`;
    case 'ahead':
      return `ahead of ${from}`;
    case 'diverged':
      return `diverged from ${from}`;
    case 'differs':
      return `≠ ${from}`;
    default:
      return '';
  }
}

function cellText(cell: StatusViewCell, from: string | undefined, level: 0 | 1 | 2): string {
  const drift = driftLabel(cell.drift, from);
  const parts: string[] = [];
  if (!cell.entry) parts.push('—');
  else {
    const e = cell.entry;
    const mark =
      cell.mark === undefined ? '' : level === 0 ? ` ${markLabel(cell.mark)}` : ` ${MARK_SYMBOL[cell.mark]}`;
    const digest = level === 2 ? shortDigest(e.digest).slice(0, 7) : shortDigest(e.digest);
    const who = level === 0 && e.promotedBy ? ` ${e.promotedBy}` : '';
    parts.push(`${e.version} ${digest}${mark}${who}`);
  }
  if (drift) parts.push(level === 2 ? drift.replace(/^⚠ behind .*/, '⚠') : drift);
  if (cell.quarantined.length > 0) parts.push(`⛔${cell.quarantined.length}`);
  if (cell.pending.length > 0) parts.push(`⏳${cell.pending.length}`);
  return parts.join(' ');
}

/** Lines under the table: every quarantined version, every open approval request, the notes. */
export function statusViewDetails(view: StatusView): string[] {
  const lines: string[] = [];
  for (const row of view.rows)
    for (const cell of row.cells) {
      for (const q of cell.quarantined)
        lines.push(
          `⛔ ${row.service} ${q.version} quarantined in ${cell.environment} at ${q.at} by ${q.by}: ${q.reason}`,
        );
      for (const p of cell.pending)
        lines.push(
          `⏳ ${row.service} ${p.version} → ${cell.environment} awaits approval: #${p.number} asked by ${p.requester} at ${p.requestedAt}`,
        );
    }
  return [...lines, ...view.notes];
}

/**
 * The view as a plain-text table for terminals, then the quarantine and approval lines. With
 * `maxWidth`, cells drop detail (the actor and mark words, then the digest length) until it fits.
 */
export function renderStatusViewText(view: StatusView, options: { maxWidth?: number } = {}): string {
  const header = ['service', ...view.environments.map((e) => e.name)];
  const render = (level: 0 | 1 | 2) => {
    const body = view.rows.map((r) => [
      r.service,
      ...r.cells.map((c, i) => cellText(c, view.environments[i]?.from, level)),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => [...(row[i] ?? '')].length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => c + ' '.repeat(Math.max(0, (widths[i] ?? 0) - [...c].length)))
        .join('  ')
        .trimEnd();
    return [line(header), line(widths.map((w) => '─'.repeat(w))), ...body.map(line)];
  };
  let table = render(0);
  for (const level of [1, 2] as const) {
    if (options.maxWidth === undefined || Math.max(...table.map((l) => [...l].length)) <= options.maxWidth)
      break;
    table = render(level);
  }
  const legend =
    '✓ verified healthy  ✗ unhealthy  ? inconclusive  · unverified  ⛔ quarantined  ⏳ awaiting approval';
  const fit = (line: string) =>
    options.maxWidth !== undefined && [...line].length > options.maxWidth
      ? `${[...line].slice(0, Math.max(1, options.maxWidth - 1)).join('')}…`
      : line;
  return [...table, '', ...[legend, ...statusViewDetails(view)].map(fit)].join('\n');
}

/** Escape text for a markdown table cell (pipes, newlines, HTML). */
function md(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
}

/** The view as markdown for job summaries: the matrix, then quarantine and approval lines. */
export function renderStatusViewMarkdown(view: StatusView): string {
  const header = `| Service | ${view.environments.map((e) => md(e.from ? `${e.name} (from ${e.from})` : e.name)).join(' | ')} |`;
  const rule = `| --- | ${view.environments.map(() => '---').join(' | ')} |`;
  const body = view.rows.map(
    (row) =>
      `| ${md(row.service)} | ${row.cells.map((c, i) => md(cellText(c, view.environments[i]?.from, 0))).join(' | ')} |`,
  );
  const details = statusViewDetails(view).map((l) => `- ${md(l)}`);
  return [header, rule, ...body, '', ...details].join('\n').trimEnd() + '\n';
}

/** The ledger of one environment, newest first, filtered to a service. */
export function historyOf(view: StatusView, environment: string, service?: string): HistoryRow[] {
  const rows = view.history.find((h) => h.environment === environment)?.rows ?? [];
  return service === undefined ? rows : rows.filter((r) => r.service === service);
}
