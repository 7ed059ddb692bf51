/**
 * The `notify` block of the config (issue 14): where messages about promotions, approvals,
 * verifications and rollbacks go.
 *
 *   notify:
 *     slack: { webhook: SLACK_WEBHOOK_URL, events: [rolled-back, rollback-failed] }
 *     teams: { webhook: TEAMS_WEBHOOK_URL }            # a Teams "workflow" webhook
 *     sns:   { topicArn: arn:aws:sns:us-east-1:123456789012:releases }
 *
 * Each kind takes one destination, a list of them, or `true` (the default variable, all events).
 * Webhook URLs are secrets and never appear in the config: `webhook` names the environment
 * variable (filled from a secret by the workflow) that holds the URL. `events` filters what a
 * destination gets (default: every event).
 *
 * Pure. Problems are reported through the config reader (file, key path, value, line).
 */
import type { KeyPath } from './config-document.js';
import { show } from './errors.js';
import type { ProblemReporter } from './verify-config.js';

export const NOTIFY_EVENTS = [
  'promoted',
  'approval-requested',
  'approved',
  'denied',
  'verification-failed',
  'rolled-back',
  'rollback-failed',
] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

export const NOTIFY_KINDS = ['slack', 'teams', 'sns'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** The variable a webhook destination reads its URL from when the config does not name one. */
export const DEFAULT_WEBHOOK_VARIABLES = {
  slack: 'SLACK_WEBHOOK_URL',
  teams: 'TEAMS_WEBHOOK_URL',
} as const;

interface DestinationBase {
  /** Where it is configured, for messages: "notify.slack", "notify.sns[1]". */
  name: string;
  /** The events it gets, in NOTIFY_EVENTS order. */
  events: NotifyEventKind[];
}

export interface WebhookDestination extends DestinationBase {
  kind: 'slack' | 'teams';
  /** The environment variable (or action input, as INPUT_…) holding the webhook URL. */
  webhook: string;
}

export interface SnsDestination extends DestinationBase {
  kind: 'sns';
  topicArn: string;
  /** The topic's region, from its ARN. */
  region: string;
}

export type NotifyDestination = WebhookDestination | SnsDestination;

export interface NotifyConfig {
  destinations: NotifyDestination[];
}

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Same rule as @sd-actions/aws (checkTopicArn), kept here so the config is checked up front. */
export const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/;
const DESTINATION_KEYS = {
  slack: ['webhook', 'events'],
  teams: ['webhook', 'events'],
  sns: ['topicArn', 'events'],
};

/** Whether a destination wants an event. */
export function wantsEvent(destination: NotifyDestination, event: NotifyEventKind): boolean {
  return destination.events.includes(event);
}

/** Read the `notify` block (undefined when absent, null or `false`). */
export function readNotify(r: ProblemReporter, value: unknown): NotifyConfig | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  const path: KeyPath = ['notify'];
  if (typeof value === 'string')
    // Not echoed: it may be a webhook URL.
    r.failText(path, `is a text (not shown); expected a mapping with any of ${NOTIFY_KINDS.join(', ')}`);
  if (typeof value !== 'object' || Array.isArray(value))
    r.fail(path, value, `is not a mapping; expected any of ${NOTIFY_KINDS.join(', ')}`);
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!(NOTIFY_KINDS as readonly string[]).includes(key))
      r.failText([...path, key], `unknown key; expected one of ${NOTIFY_KINDS.join(', ')}`);
  }
  const destinations: NotifyDestination[] = [];
  for (const kind of NOTIFY_KINDS) {
    const entry = raw[kind];
    if (entry === undefined || entry === null || entry === false) continue;
    const items = Array.isArray(entry) ? entry : [entry];
    if (items.length === 0) continue;
    items.forEach((item, i) => {
      const at: KeyPath = Array.isArray(entry) ? [...path, kind, i] : [...path, kind];
      const name = `notify.${kind}${Array.isArray(entry) ? `[${i}]` : ''}`;
      destinations.push(readDestination(r, kind, at, name, item));
    });
  }
  const seen = new Map<string, string>();
  for (const d of destinations) {
    const target = d.kind === 'sns' ? `sns ${d.topicArn}` : `${d.kind} ${d.webhook}`;
    const first = seen.get(target);
    if (first !== undefined)
      r.failText(
        pathOf(d.name),
        `sends to the same ${d.kind === 'sns' ? 'topic' : 'webhook'} as ${first}; expected each destination once (put all its events in one list)`,
      );
    seen.set(target, d.name);
  }
  return { destinations };
}

/** "notify.slack[1]" → ['notify', 'slack', 1]. */
function pathOf(name: string): KeyPath {
  const m = /^notify\.(\w+)(?:\[(\d+)\])?$/.exec(name)!;
  return m[2] === undefined ? ['notify', m[1]!] : ['notify', m[1]!, Number(m[2])];
}

function readDestination(
  r: ProblemReporter,
  kind: NotifyKind,
  at: KeyPath,
  name: string,
  value: unknown,
): NotifyDestination {
  if (value === true) {
    if (kind === 'sns')
      r.fail(at, value, 'needs a topic; expected { topicArn: arn:aws:sns:<region>:<account-id>:<topic> }');
    return { kind, name, webhook: DEFAULT_WEBHOOK_VARIABLES[kind], events: [...NOTIFY_EVENTS] };
  }
  // A text is the short form: the variable's name (slack, teams) or the topic's ARN (sns).
  const short = typeof value === 'string';
  if (!short && (value === null || typeof value !== 'object' || Array.isArray(value)))
    r.fail(
      at,
      value,
      kind === 'sns'
        ? 'is not a mapping; expected { topicArn, events? }'
        : 'is not a mapping; expected true, a variable name or { webhook: <variable holding the URL>, events? }',
    );
  const raw: Record<string, unknown> = short
    ? { [kind === 'sns' ? 'topicArn' : 'webhook']: value }
    : (value as Record<string, unknown>);
  const field = (key: string): KeyPath => (short ? at : [...at, key]);
  const allowed = DESTINATION_KEYS[kind];
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) {
      const hint =
        key === 'url' || key === 'webhookUrl'
          ? ' (webhook URLs are secrets: name the variable that holds it in "webhook")'
          : '';
      r.failText([...at, key], `unknown key${hint}; expected one of ${allowed.join(', ')}`);
    }
  }
  const events = readEvents(r, [...at, 'events'], raw.events);
  if (kind === 'sns') {
    const arn = raw.topicArn;
    if (arn === undefined || arn === null)
      r.failText(field('topicArn'), 'is required; expected arn:aws:sns:<region>:<account-id>:<topic>');
    const m = typeof arn === 'string' ? SNS_TOPIC_ARN.exec(arn) : null;
    if (!m)
      r.fail(
        field('topicArn'),
        arn,
        'is not an SNS topic ARN; expected arn:aws:sns:<region>:<account-id>:<topic>',
      );
    return { kind, name, topicArn: arn as string, region: m[1]!, events };
  }
  const webhook = raw.webhook ?? DEFAULT_WEBHOOK_VARIABLES[kind];
  if (typeof webhook === 'string' && /[:/]/.test(webhook))
    // Never echo it: a URL here is a leaked secret.
    r.failText(
      field('webhook'),
      `is a URL (not shown); webhook URLs are secrets: store it as a repository secret, pass it to the step as an environment variable (env: ${DEFAULT_WEBHOOK_VARIABLES[kind]}: \${{ secrets.${DEFAULT_WEBHOOK_VARIABLES[kind]} }}) and put the variable's name here, then rotate the exposed URL`,
    );
  if (typeof webhook !== 'string' || !VARIABLE.test(webhook))
    // A text is not echoed: it may be a token pasted in by mistake.
    r.failText(
      field('webhook'),
      `${typeof webhook === 'string' ? 'is not' : `${show(webhook)} is not`} an environment variable name${typeof webhook === 'string' ? ' (value not shown)' : ''}; expected letters, digits and "_" like ${DEFAULT_WEBHOOK_VARIABLES[kind]}, the variable that holds the URL`,
    );
  return { kind, name, webhook, events };
}

function readEvents(r: ProblemReporter, at: KeyPath, value: unknown): NotifyEventKind[] {
  if (value === undefined || value === null) return [...NOTIFY_EVENTS];
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list))
    r.fail(at, value, `is not a list of events; expected some of ${NOTIFY_EVENTS.join(', ')}`);
  if (list.length === 0)
    r.fail(at, list, `is empty; expected some of ${NOTIFY_EVENTS.join(', ')} (or leave it out for all)`);
  const chosen = new Set<string>();
  list.forEach((item, i) => {
    const p = typeof value === 'string' ? at : [...at, i];
    if (typeof item !== 'string' || !(NOTIFY_EVENTS as readonly string[]).includes(item)) {
      const hint = typeof item === 'string' ? closestEvent(item) : undefined;
      r.fail(
        p,
        item,
        `is not an event${hint ? ` (did you mean "${hint}"?)` : ''}; expected one of ${NOTIFY_EVENTS.join(', ')}`,
      );
    }
    chosen.add(item);
  });
  return NOTIFY_EVENTS.filter((e) => chosen.has(e));
}

/** A likely intended event for a typo: same letters ignoring case, "_" and spaces, or a prefix. */
function closestEvent(text: string): string | undefined {
  const norm = text.toLowerCase().replace(/[_\s]+/g, '-');
  const exact = NOTIFY_EVENTS.find((e) => e === norm || e.replace(/-/g, '') === norm.replace(/-/g, ''));
  if (exact) return exact;
  const byPrefix = NOTIFY_EVENTS.filter(
    (e) => norm.length >= 4 && (e.startsWith(norm) || norm.startsWith(e)),
  );
  return byPrefix.length === 1 ? byPrefix[0] : undefined;
}

/** For messages: the events of a destination, "all events" when it takes every one. */
export function describeEvents(events: readonly NotifyEventKind[]): string {
  return events.length === NOTIFY_EVENTS.length ? 'all events' : events.join(', ');
}

/** One line per destination, secrets never included (the variable's name only). */
export function describeDestination(d: NotifyDestination): string {
  const target = d.kind === 'sns' ? show(d.topicArn) : `the URL in $${d.webhook}`;
  return `${d.name}: ${d.kind} to ${target} (${describeEvents(d.events)})`;
}
