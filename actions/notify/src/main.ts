/**
 * notify: send one event to the config's destinations (issue 14). Every secret is masked before
 * the first line is written; sending never fails the step (a failed destination is a warning).
 */
import {
  NOTIFY_EVENTS,
  oneLine,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  type NotifyEvent,
  type NotifyEventKind,
} from '@sd-actions/core';
import {
  getBoolean,
  configInput,
  getString,
  loadConfigFile,
  log,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { deliverySummary, dryRunSummary, noDestinationsSummary } from './summary.js';
import {
  notifySecrets,
  previewNotifications,
  sendNotifications,
  type DeliveryResult,
} from '@sd-actions/notify';

const WEBHOOK_INPUTS = { slack: 'slack-webhook-url', teams: 'teams-webhook-url' } as const;

function say(text: string): void {
  log.info(oneLine(text, 1000));
}

export async function run(): Promise<void> {
  // Secrets first: nothing is logged before they are masked.
  const webhookInputs = {
    slack: getString(WEBHOOK_INPUTS.slack),
    teams: getString(WEBHOOK_INPUTS.teams),
  };
  for (const url of Object.values(webhookInputs)) if (url) log.setSecret(url);

  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const eventText = getString('event', { required: true });
  if (!(NOTIFY_EVENTS as readonly string[]).includes(eventText))
    throw new UserError(
      `Input "event": ${show(eventText)} is not an event; expected one of ${NOTIFY_EVENTS.join(', ')}`,
    );
  const kind = eventText as NotifyEventKind;
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }));
  const digest = getString('digest');
  if (digest !== undefined) validateDigest(digest);
  const dryRun = getBoolean('dry-run', false);

  // The inputs fill the variables the config names, where the step's environment leaves them unset.
  const env: Record<string, string | undefined> = { ...process.env };
  for (const d of config.notify?.destinations ?? []) {
    if (d.kind === 'sns') continue;
    const given = webhookInputs[d.kind];
    if (given && !env[d.webhook]?.trim()) env[d.webhook] = given;
  }
  for (const secret of notifySecrets(config.notify, env)) log.setSecret(secret);

  const event: NotifyEvent = {
    kind,
    service: service.name,
    environment: environment.name,
    ...optional('fromVersion', getString('from-version')),
    ...optional('toVersion', getString('to-version')),
    ...optional('digest', digest),
    ...optional('commit', getString('commit')),
    ...optional('who', getString('actor') ?? (context.actor || undefined)),
    ...optional('why', getString('reason')),
    ...optional('runUrl', getString('run-url') ?? context.runUrl),
  };

  const destinations = config.notify?.destinations ?? [];
  if (destinations.length === 0) {
    say(`No notify destinations in ${config.file}; nothing to send for ${kind}.`);
    for (const name of ['sent', 'skipped', 'failed']) log.setOutput(name, '');
    await writeSummary(noDestinationsSummary(kind, config.file));
    return;
  }

  if (dryRun) {
    const previews = previewNotifications(config.notify, event);
    for (const p of previews) say(`Would send to ${p.destination} (${p.kind}): ${p.subject}`);
    const wanted = new Set(previews.map((p) => p.destination));
    log.setOutput('sent', '');
    log.setOutput(
      'skipped',
      destinations
        .filter((d) => !wanted.has(d.name))
        .map((d) => d.name)
        .join(','),
    );
    log.setOutput('failed', '');
    await writeSummary(dryRunSummary(kind, destinations, wanted));
    return;
  }

  say(`Sending ${kind} for ${service.name} in ${environment.name} to ${destinations.length} destination(s)`);
  const report = await sendNotifications(config.notify, event, {
    env,
    onRetry: (info) =>
      say(`${info.destination}: retrying in ${Math.round(info.delayMs / 100) / 10}s (${info.reason})`),
  });
  for (const warning of report.warnings) log.warning(warning, { title: 'sd-actions: notify' });
  const names = (status: DeliveryResult['status']) =>
    report.results
      .filter((r) => r.status === status)
      .map((r) => r.destination)
      .join(',');
  log.setOutput('sent', names('sent'));
  log.setOutput('skipped', names('skipped'));
  log.setOutput('failed', names('failed'));
  for (const r of report.results) say(`${r.destination}: ${r.status}`);

  await writeSummary(deliverySummary(kind, destinations, report.results));
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined || value === '' ? {} : ({ [key]: value } as Record<K, string>);
}
