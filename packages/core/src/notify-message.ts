/**
 * What a notification says, rendered for each destination (issue 14): a Slack incoming-webhook
 * payload (blocks), a Microsoft Teams workflow-webhook payload (an Adaptive Card), and an SNS
 * subject (one line, under 100 characters) with a plain-text body.
 *
 * Every value may come from a manifest, a commit or an event, so each is escaped for the format
 * it goes into: Slack mrkdwn (`&`, `<`, `>`, so `<!channel>` or a link can't be injected; bare
 * @channel/@here defused), Adaptive Cards (values only in TextRuns, which are never markdown;
 * `{{…}}` functions broken) and plain text (control characters). Long values are cut so payloads stay within the limits.
 *
 * Pure.
 */
import type { NotifyEventKind } from './notify-config.js';
import type { RollbackRecord } from './rollback.js';
import type { VerificationReport } from './verify-judge.js';

export interface NotifyEvent {
  kind: NotifyEventKind;
  service: string;
  environment: string;
  /** The version running before (a rollback's bad version, a promotion's previous one). */
  fromVersion?: string;
  /** The version the event is about (promoted, requested, rolled back to). */
  toVersion?: string;
  digest?: string;
  /** The source commit the image was built from. */
  commit?: string;
  /** Who did it: the actor, the approvers, the one who denied. */
  who?: string;
  /** Why: the failing check or alarm, the reason given, the error. */
  why?: string;
  /** The workflow run. */
  runUrl?: string;
  /** A further link: the approval request, the deployment. */
  link?: { text: string; url: string };
  /** When, ISO 8601 (default: not shown). */
  at?: string;
}

interface Fact {
  title: string;
  value: string;
  /** Shown as code (versions, digests, commits). */
  code?: boolean;
}

const MAX_VALUE = 300;
const MAX_WHY = 1500;

/** Control characters out, runs of spaces collapsed, cut to `max` characters (… when cut). */
export function plainValue(text: string, max = MAX_VALUE, keepNewlines = false): string {
  let s = keepNewlines
    ? text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    : text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ');
  s = s.trim();
  const chars = [...s];
  return chars.length > max
    ? `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`
    : s;
}

function shortDigest(digest: string): string {
  const m = /^(sha256:)([0-9a-f]{64})$/.exec(digest);
  return m ? `${m[1]}${m[2]!.slice(0, 12)}` : digest;
}

function shortCommit(commit: string): string {
  return /^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 7) : commit;
}

function versionChange(e: NotifyEvent): string | undefined {
  const from = e.fromVersion ? plainValue(e.fromVersion, 80) : undefined;
  const to = e.toVersion ? plainValue(e.toVersion, 80) : undefined;
  if (from && to && from !== to) return `${from} → ${to}`;
  return to ?? from;
}

/** The one-line headline, plain text (escape it for the format it goes into). */
export function notifyTitle(e: NotifyEvent): string {
  const svc = plainValue(e.service, 80);
  const env = plainValue(e.environment, 80);
  const to = e.toVersion ? ` ${plainValue(e.toVersion, 80)}` : '';
  const from = e.fromVersion ? plainValue(e.fromVersion, 80) : undefined;
  switch (e.kind) {
    case 'promoted':
      return `${svc}${to} promoted to ${env}`;
    case 'approval-requested':
      return `Approval requested: ${svc}${to} to ${env}`;
    case 'approved':
      return `${svc}${to} approved for ${env}`;
    case 'denied':
      return `${svc}${to} denied for ${env}`;
    case 'verification-failed':
      return `Verification failed: ${svc}${to} in ${env}`;
    case 'rolled-back':
      return `${svc} rolled back in ${env}${from ? ` from ${from}` : ''}${to ? ` to${to}` : ''}`;
    case 'rollback-failed':
      return `Rollback failed: ${svc} in ${env}${from ? ` (${from})` : ''}`;
  }
}

const SEVERITY: Record<NotifyEventKind, 'good' | 'info' | 'warning' | 'bad'> = {
  promoted: 'good',
  'approval-requested': 'info',
  approved: 'good',
  denied: 'warning',
  'verification-failed': 'bad',
  'rolled-back': 'warning',
  'rollback-failed': 'bad',
};

const SLACK_EMOJI: Record<NotifyEventKind, string> = {
  promoted: ':rocket:',
  'approval-requested': ':raised_hand:',
  approved: ':white_check_mark:',
  denied: ':no_entry:',
  'verification-failed': ':x:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  'rollback-failed': ':rotating_light:',
};

function whyLabel(kind: NotifyEventKind): string {
  if (kind === 'verification-failed') return 'Failing check';
  if (kind === 'rolled-back') return 'Why';
  if (kind === 'rollback-failed') return 'Error';
  return 'Reason';
}

function factsOf(e: NotifyEvent): Fact[] {
  const facts: Fact[] = [
    { title: 'Service', value: plainValue(e.service, 100) },
    { title: 'Environment', value: plainValue(e.environment, 100) },
  ];
  const version = versionChange(e);
  if (version) facts.push({ title: 'Version', value: version, code: true });
  if (e.digest) facts.push({ title: 'Digest', value: plainValue(shortDigest(e.digest), 100), code: true });
  if (e.commit) facts.push({ title: 'Commit', value: plainValue(shortCommit(e.commit), 60), code: true });
  if (e.who)
    facts.push({ title: e.kind === 'approval-requested' ? 'Requested by' : 'By', value: plainValue(e.who) });
  if (e.at) facts.push({ title: 'At', value: plainValue(e.at, 40) });
  return facts;
}

/** A URL fit for a link: http(s) only, no spaces or control characters; else undefined. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url || url.length > 2000 || /[\s\u0000-\u001f\u007f"<>\\^`{|}]/.test(url)) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

// ---- Slack ------------------------------------------------------------------------------------

/** Escape text for Slack mrkdwn: `&<>` as entities, so no `<!channel>`, `<@U…>` or link is formed; bare mentions defused. */
export function slackEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1');
}

/**
 * Escape, keeping the result within `max` characters (a section's text takes 3000): escaping can
 * grow a text fivefold, so it is cut by its escaped length, never inside an entity.
 */
export function slackEscapeWithin(text: string, max: number): string {
  const escaped = slackEscape(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const ch of text) {
    const piece = slackEscape(ch);
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out}…`;
}

/** A value as inline code: escaped, and no backtick to close the code span early. */
function slackCode(text: string): string {
  return `\`${slackEscape(text).replace(/`/g, "'")}\``;
}

/** The Slack incoming-webhook payload: a fallback `text` and blocks. */
export function slackPayload(e: NotifyEvent): { text: string; blocks: unknown[] } {
  const title = notifyTitle(e);
  const blocks: unknown[] = [
    {
      type: 'header',
      // plain_text is never parsed for mentions or links; the header takes 150 characters.
      text: { type: 'plain_text', text: plainValue(title, 150), emoji: true },
    },
    {
      type: 'section',
      fields: factsOf(e).map((f) => ({
        type: 'mrkdwn',
        text: `*${f.title}*\n${f.code ? slackCode(f.value) : slackEscape(f.value)}`,
      })),
    },
  ];
  if (e.why)
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*${whyLabel(e.kind)}*\n${slackEscapeWithin(plainValue(e.why, MAX_WHY, true), 2900)}`,
      },
    });
  const links: string[] = [];
  const run = safeUrl(e.runUrl);
  if (run) links.push(`<${slackEscape(run)}|Workflow run>`);
  const link = e.link && safeUrl(e.link.url);
  if (e.link && link)
    links.push(`<${slackEscape(link)}|${slackEscape(plainValue(e.link.text, 80)).replace(/\|/g, '/')}>`);
  if (links.length)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join('  ·  ') }] });
  return { text: `${SLACK_EMOJI[e.kind]} ${slackEscape(title)}`, blocks };
}

// ---- Teams ------------------------------------------------------------------------------------

/**
 * Text for an Adaptive Card TextRun. A RichTextBlock's TextRuns are never read as markdown (so no
 * link, emphasis or list can be injected, and nothing needs backslashes that might show); only the
 * `{{DATE(…)}}`/`{{TIME(…)}}` functions are broken up.
 */
export function teamsText(text: string): string {
  return text.replace(/\{\{/g, '{\u200b{');
}

const TEAMS_COLOR = { good: 'Good', info: 'Accent', warning: 'Warning', bad: 'Attention' } as const;

function run(text: string, style: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'TextRun', text: teamsText(text), ...style };
}

/** The body of a Teams workflow webhook ("When a Teams webhook request is received"): a message with an Adaptive Card. */
export function teamsPayload(e: NotifyEvent): Record<string, unknown> {
  const body: unknown[] = [
    {
      type: 'RichTextBlock',
      inlines: [
        run(plainValue(notifyTitle(e), 200), {
          weight: 'Bolder',
          size: 'Medium',
          color: TEAMS_COLOR[SEVERITY[e.kind]],
        }),
      ],
    },
    ...factsOf(e).map((f, i) => ({
      type: 'RichTextBlock',
      spacing: i === 0 ? 'Medium' : 'None',
      inlines: [
        run(`${f.title}: `, { weight: 'Bolder' }),
        run(f.value, f.code ? { fontType: 'Monospace' } : {}),
      ],
    })),
  ];
  if (e.why)
    body.push({
      type: 'RichTextBlock',
      spacing: 'Medium',
      inlines: [run(`${whyLabel(e.kind)}: `, { weight: 'Bolder' }), run(plainValue(e.why, MAX_WHY, true))],
    });
  const actions: unknown[] = [];
  const runUrl = safeUrl(e.runUrl);
  if (runUrl) actions.push({ type: 'Action.OpenUrl', title: 'Workflow run', url: runUrl });
  const link = e.link && safeUrl(e.link.url);
  if (e.link && link) actions.push({ type: 'Action.OpenUrl', title: plainValue(e.link.text, 40), url: link });
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(actions.length ? { actions } : {}),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}

// ---- SNS --------------------------------------------------------------------------------------

/** An SNS subject: one printable line of at most 99 characters (SNS refuses 100 or more). */
export function notifySubject(e: NotifyEvent): string {
  const text = `[sd-actions] ${plainValue(notifyTitle(e), 200)}`;
  const chars = [...text];
  return chars.length > 99 ? `${chars.slice(0, 98).join('').trimEnd()}…` : text;
}

/** The SNS message: plain text, one fact a line, for e-mail and chat subscribers alike. */
export function notifyText(e: NotifyEvent): string {
  const facts = factsOf(e);
  const lines = [notifyTitle(e), ''];
  const width = Math.max(...facts.map((f) => f.title.length), 3) + 2;
  for (const f of facts) lines.push(`${`${f.title}:`.padEnd(width)}${f.value}`);
  if (e.why) {
    const why = plainValue(e.why, MAX_WHY, true).split('\n');
    lines.push(
      `${`${whyLabel(e.kind)}:`.padEnd(width)}${why[0]}`,
      ...why.slice(1).map((l) => `${' '.repeat(width)}${l}`),
    );
  }
  const run = safeUrl(e.runUrl);
  if (run) lines.push(`${'Run:'.padEnd(width)}${run}`);
  const link = e.link && safeUrl(e.link.url);
  if (e.link && link) lines.push(`${`${plainValue(e.link.text, 40)}:`.padEnd(width)}${link}`);
  return `${lines.join('\n')}\n`;
}

/** One line for a log or a summary: what was (or would be) sent. */
export function notifySummary(e: NotifyEvent): string {
  const why = e.why ? `: ${plainValue(e.why, 160)}` : '';
  return `${notifyTitle(e)}${why}`;
}

// ---- events from the records the actions already have ------------------------------------------

type EventExtras = Partial<Pick<NotifyEvent, 'fromVersion' | 'commit' | 'who' | 'runUrl' | 'link' | 'at'>>;

/** A failed verification: why = every check that was not healthy, `name: reason` a line (the worst first). */
export function verificationFailedEvent(report: VerificationReport, extras: EventExtras = {}): NotifyEvent {
  const order = { unhealthy: 0, inconclusive: 1, healthy: 2, skipped: 3 } as const;
  const bad = report.checks
    .filter((c) => c.outcome === 'unhealthy' || c.outcome === 'inconclusive')
    .sort((a, b) => order[a.outcome] - order[b.outcome])
    .map((c) => `${c.name}: ${c.reason}`);
  return {
    kind: 'verification-failed',
    service: report.service,
    environment: report.environment,
    toVersion: report.version,
    ...(report.digest ? { digest: report.digest } : {}),
    why: bad.length ? bad.join('\n') : report.reason,
    ...extras,
  };
}

/** A rollback that was made (the record its commit carries). */
export function rolledBackEvent(record: RollbackRecord, extras: EventExtras = {}): NotifyEvent {
  return {
    kind: 'rolled-back',
    service: record.service,
    environment: record.environment,
    fromVersion: record.previousVersion,
    toVersion: record.version,
    digest: record.digest,
    ...(record.sourceCommit ? { commit: record.sourceCommit } : {}),
    ...(record.actor ? { who: record.actor } : {}),
    why: record.reason,
    ...(record.runUrl ? { runUrl: record.runUrl } : {}),
    ...extras,
  };
}
