/** The notify step's summaries: no destinations, a dry run, what was delivered. */
import { describeDestination, type NotifyDestination, type NotifyEventKind } from '@sd-actions/core';
import { code, markdownTable } from '@sd-actions/action-kit';
import type { DeliveryResult } from '@sd-actions/notify';

export function noDestinationsSummary(kind: NotifyEventKind, configFile: string): string {
  return `### Notification: ${kind}\n\nNo destinations: add a \`notify\` block (slack, teams, sns) to ${code(configFile).html}.\n`;
}

export function dryRunSummary(
  kind: NotifyEventKind,
  destinations: readonly NotifyDestination[],
  wanted: ReadonlySet<string>,
): string {
  return `### Notification: ${kind} (dry run, nothing sent)\n\n${markdownTable(
    ['Destination', 'Would send'],
    destinations.map((d) => [describeDestination(d), wanted.has(d.name) ? 'yes' : 'no (events filter)']),
  )}`;
}

export function deliverySummary(
  kind: NotifyEventKind,
  destinations: readonly NotifyDestination[],
  results: readonly DeliveryResult[],
): string {
  const byName = new Map(destinations.map((d) => [d.name, d]));
  return `### Notification: ${kind}\n\n${markdownTable(
    ['Destination', 'Result', 'Attempts', 'Detail'],
    results.map((r) => [
      describeDestination(byName.get(r.destination)!),
      r.status,
      String(r.attempts),
      r.status === 'skipped' ? 'its events filter leaves this event out' : (r.warning ?? ''),
    ]),
  )}\nA notification that fails never changes the outcome of the run.\n`;
}
