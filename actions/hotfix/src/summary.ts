/** The hotfix's outputs, tag message and step summaries. */
import type { HotfixPlan } from '@sd-actions/core';
import { code, log, markdownTable } from '@sd-actions/action-kit';

/** Set the action's outputs. */
export function report(o: {
  version: string;
  tag: string;
  branch: string;
  commit: string;
  base: string;
  changed: boolean;
}): void {
  log.setOutput('version', o.version);
  log.setOutput('tag', o.tag);
  log.setOutput('release-branch', o.branch);
  log.setOutput('commit', o.commit);
  log.setOutput('base-version', o.base);
  log.setOutput('changed', o.changed ? 'true' : 'false');
}

/** The summary of a re-run that finds every commit already on the line. */
export function nothingToDoSummary(
  service: string,
  releaseBranch: string,
  tipTag: string | undefined,
): string {
  return `### Hotfix ${service}: nothing to do\n\nEvery commit is already on \`${releaseBranch}\`${tipTag ? ` (released as ${tipTag})` : ''}.\n`;
}

/** The annotated tag's message: the new version, its base, and the picks. */
export function tagMessage(service: string, plan: HotfixPlan, commits: string[], subjects: string[]): string {
  return `${service} ${plan.version}: hotfix of ${plan.baseVersion}\n\n${commits.map((c, i) => `- ${c.slice(0, 12)} ${subjects[i]}`).join('\n')}`;
}

/** The summary of a hotfix (pushed, or planned in a dry run). */
export function hotfixSummary(o: {
  service: string;
  plan: HotfixPlan;
  existing: boolean;
  baseTag: string;
  commits: string[];
  subjects: string[];
  head: string;
  dryRun: boolean;
}): string {
  const { plan, head, dryRun } = o;
  const table = markdownTable(
    ['', ''],
    [
      ['Service', o.service],
      ['Release branch', `${plan.releaseBranch} (${o.existing ? 'existing' : `created from ${o.baseTag}`})`],
      ['Version', `${plan.baseVersion} → ${plan.version}`],
      ['Picked', o.commits.map((c, i) => `${c.slice(0, 12)} ${o.subjects[i]}`).join('\n')],
      ['New commit', code(head)],
      ['Tag', `${plan.tag}${dryRun ? ' (dry run: not pushed)' : ''}`],
    ],
  );
  return `### ${dryRun ? 'Dry run: ' : ''}hotfix ${o.service} ${plan.version}\n\n${table}\nNext: build once from ${code(head.slice(0, 12)).html} and promote it.\n`;
}
