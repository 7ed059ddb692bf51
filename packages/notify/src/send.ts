/**
 * Send one event to every configured destination that wants it (issue 14). Best effort: a
 * destination that fails becomes a warning string, never an exception, so a notification can
 * never change the outcome of a gate, a promotion or a rollback. Webhook URLs are read from the
 * environment by the variable the config names, and masked in every message returned.
 */
import {
  notifySubject,
  redact,
  notifyText,
  slackPayload,
  teamsPayload,
  wantsEvent,
  type NotifyConfig,
  type NotifyDestination,
  type NotifyEvent,
  type NotifyKind,
} from '@sd-actions/core';
import { SnsPublisher } from '@sd-actions/aws';
import {
  postJson,
  realNotifyClock,
  DELIVERY_DEFAULTS,
  type DeliveryPolicy,
  type RetryInfo,
} from './webhook.js';

export interface SnsLike {
  publish(topicArn: string, subject: string, message: string): Promise<{ messageId?: string }>;
}

export interface NotifyOptions extends DeliveryPolicy {
  /** Where webhook URLs are read from, by the variable the config names (default process.env). */
  env?: Record<string, string | undefined>;
  /** The SNS client for a region (default: SnsPublisher with the same retry policy and clock). */
  sns?: (region: string) => SnsLike;
  /** Told before each retry (adapters never log themselves). */
  onRetry?: (info: RetryInfo & { destination: string }) => void;
}

export interface DeliveryResult {
  /** The destination's name in the config: "notify.slack", "notify.sns[1]". */
  destination: string;
  kind: NotifyKind;
  /** sent; skipped: its events filter leaves this event out; failed: see warning. */
  status: 'sent' | 'skipped' | 'failed';
  attempts: number;
  /** For failed: one line for a `::warning`, the URL masked. */
  warning?: string;
  /** SNS's id of the published message. */
  messageId?: string;
}

export interface NotifyReport {
  results: DeliveryResult[];
  /** The warnings of the failed deliveries, in config order. */
  warnings: string[];
}

const LABEL: Record<NotifyKind, string> = { slack: 'Slack', teams: 'Teams', sns: 'SNS' };

/** Whether `url` may receive a notification: https, or http to a loopback address (tests, local receivers). */
export function webhookUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return 'is not a URL';
  }
  if (u.protocol === 'https:') return undefined;
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) || /^127\./.test(u.hostname);
  if (u.protocol === 'http:' && loopback) return undefined;
  return 'is not an https URL';
}

/** The webhook URLs the config refers to (set in `env`), to register as secrets before anything is logged. */
export function notifySecrets(
  config: NotifyConfig | undefined,
  env: Record<string, string | undefined> = process.env,
): string[] {
  const urls = new Set<string>();
  for (const d of config?.destinations ?? []) {
    if (d.kind === 'sns') continue;
    const value = env[d.webhook]?.trim();
    if (value) for (const s of secretForms(value)) urls.add(s);
  }
  return [...urls];
}

/** A URL and the parts of it that identify it on their own (its path and query carry the token). */
function secretForms(url: string): string[] {
  const forms = [url];
  try {
    const u = new URL(url);
    const rest = `${u.pathname}${u.search}`;
    if (rest.length >= 8) forms.push(rest);
    if (u.search.length >= 8) forms.push(u.search.slice(1));
    if (u.href !== url) forms.push(u.href);
  } catch {
    // Not a URL: the whole value is the secret.
  }
  return forms.sort((a, b) => b.length - a.length);
}

/** Send `event` to every destination that wants it. Never throws. */
export async function sendNotifications(
  config: NotifyConfig | undefined,
  event: NotifyEvent,
  options: NotifyOptions = {},
): Promise<NotifyReport> {
  const env = options.env ?? process.env;
  const secrets = notifySecrets(config, env);
  const destinations = config?.destinations ?? [];
  const results = await Promise.all(
    destinations.map(async (d): Promise<DeliveryResult> => {
      if (!wantsEvent(d, event.kind))
        return { destination: d.name, kind: d.kind, status: 'skipped', attempts: 0 };
      let result: DeliveryResult;
      try {
        result = await deliver(d, event, env, {
          ...options,
          // A receiver's answer might quote the URL: retries are reported masked too.
          onRetry: (info) => options.onRetry?.({ ...info, reason: redact(info.reason, secrets) }),
        });
      } catch (err) {
        // A bug or an unexpected failure: still only a warning.
        result = failed(d, 0, `unexpected error: ${err instanceof Error ? err.message : String(err)}`);
      }
      return result.warning ? { ...result, warning: redact(result.warning, secrets) } : result;
    }),
  );
  return { results, warnings: results.flatMap((r) => (r.warning ? [r.warning] : [])) };
}

function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

function failed(d: NotifyDestination, attempts: number, problem: string): DeliveryResult {
  return {
    destination: d.name,
    kind: d.kind,
    status: 'failed',
    attempts,
    warning: `Notification not sent to ${d.name} (${LABEL[d.kind]}): ${oneLine(problem)}. This does not change the outcome of the run.`,
  };
}

async function deliver(
  d: NotifyDestination,
  event: NotifyEvent,
  env: Record<string, string | undefined>,
  options: NotifyOptions,
): Promise<DeliveryResult> {
  const onRetry = (info: RetryInfo) => options.onRetry?.({ ...info, destination: d.name });
  if (d.kind === 'sns') return deliverSns(d, event, options, onRetry);
  const url = env[d.webhook]?.trim();
  if (!url)
    return failed(
      d,
      0,
      `${d.webhook} is not set; pass the webhook secret to this step as env ${d.webhook}: \${{ secrets.${d.webhook} }}`,
    );
  const problem = webhookUrlProblem(url);
  if (problem)
    return failed(d, 0, `the value of ${d.webhook} ${problem} (not shown); expected the webhook URL`);
  const payload = d.kind === 'slack' ? slackPayload(event) : teamsPayload(event);
  const outcome = await postJson(url, payload, options, onRetry);
  if (outcome.ok) return { destination: d.name, kind: d.kind, status: 'sent', attempts: outcome.attempts };
  return failed(d, outcome.attempts, `the webhook in ${d.webhook} ${outcome.problem}`);
}

async function deliverSns(
  d: Extract<NotifyDestination, { kind: 'sns' }>,
  event: NotifyEvent,
  options: NotifyOptions,
  onRetry: (info: RetryInfo) => void,
): Promise<DeliveryResult> {
  const clock = options.clock ?? realNotifyClock;
  let attempts = 1;
  const client =
    options.sns?.(d.region) ??
    new SnsPublisher({
      region: d.region,
      retry: {
        attempts: options.attempts ?? DELIVERY_DEFAULTS.attempts,
        baseMs: options.baseMs ?? DELIVERY_DEFAULTS.baseMs,
        maxMs: DELIVERY_DEFAULTS.maxMs,
        sleep: (ms) => clock.sleep(ms),
        ...(options.random ? { random: options.random } : {}),
        onRetry: (info) => {
          attempts = info.attempt + 1;
          onRetry({ attempt: info.attempt, delayMs: info.delayMs, reason: info.reason });
        },
      },
    });
  // The SDK call and its retries end within the total budget, whatever the network does.
  const totalMs = options.totalMs ?? DELIVERY_DEFAULTS.totalMs;
  const timer = clock.timeout(totalMs);
  try {
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timer.signal.aborted) resolve('timeout');
      timer.signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const publishing = client.publish(d.topicArn, notifySubject(event), notifyText(event));
    // After a timeout its late failure must not become an unhandled rejection.
    publishing.catch(() => undefined);
    const out = await Promise.race([publishing, timedOut]);
    if (out === 'timeout')
      return failed(d, attempts, `publishing to ${d.topicArn} did not finish within ${totalMs / 1000}s`);
    return {
      destination: d.name,
      kind: 'sns',
      status: 'sent',
      attempts,
      ...(out.messageId ? { messageId: out.messageId } : {}),
    };
  } catch (err) {
    return failed(d, attempts, err instanceof Error ? err.message.replace(/\.$/, '') : String(err));
  } finally {
    timer.dispose();
  }
}

/** What would be sent, without sending: one plain-text message per destination that wants the event. */
export function previewNotifications(
  config: NotifyConfig | undefined,
  event: NotifyEvent,
): { destination: string; kind: NotifyKind; subject: string; text: string }[] {
  return (config?.destinations ?? [])
    .filter((d) => wantsEvent(d, event.kind))
    .map((d) => ({
      destination: d.name,
      kind: d.kind,
      subject: notifySubject(event),
      text: notifyText(event),
    }));
}
