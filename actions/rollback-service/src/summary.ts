/** The step summary of a rollback: from → to and why, what was quarantined and retagged, and what runs where now. */
import type { Config } from '@sd-actions/core';
import { code, commitUrl, link, log, markdownTable, type RunnerContext } from '@sd-actions/action-kit';
import type { ScratchRepo } from '@sd-actions/git';
import { statusSection } from '@sd-actions/gitops';
import type { TagAction } from '@sd-actions/registry';
import type { Rollback } from './prepare.js';

export async function summary(s: {
  repo: ScratchRepo;
  config: Config;
  plan: Rollback;
  dryRun: boolean;
  commit: string;
  tagPlan: TagAction[];
  didQuarantine: string;
  pipelineLine?: string;
  reason: string;
  branch: string;
  context: RunnerContext;
  serviceName: string;
  environmentName: string;
}): Promise<string> {
  const { plan, dryRun } = s;
  const { from, to } = plan;
  const urlOf = (sha: string) => commitUrl(s.context, sha);
  const why =
    to.basis === 'to-version'
      ? `to-version given${to.verification ? ` (last verification: ${to.verification.result}, ${to.verification.sha.slice(0, 12)})` : ' (never verified here)'}`
      : to.basis === 'verified'
        ? `newest earlier version verified healthy (${to.verification!.sha.slice(0, 12)}, ${to.verification!.date})`
        : '⚠ taken UNVERIFIED (allow-unverified: true): no earlier version is verified healthy';
  const rows: [string, string | ReturnType<typeof code> | ReturnType<typeof link>][] = [
    ['Service', s.serviceName],
    ['Environment', s.environmentName],
    ['From → to', `${from.version} → ${to.version}`],
    ['Digest', code(to.digest)],
    ['Why this target', why],
    ['Passed over', plan.skipped.map((x) => `${x.version} (${x.why})`).join('; ') || '—'],
    ['Reason', s.reason],
    ['Quarantined', s.didQuarantine ? `${s.didQuarantine} (${from.digest})${dryRun ? ' (would)' : ''}` : '—'],
    [
      'Registry tags',
      s.tagPlan
        .map(
          (t) =>
            `${t.tag} (${t.action === 'present' ? 'already there' : dryRun ? `would ${t.action}` : 'moved'})`,
        )
        .join(', ') || '— (no moving tags)',
    ],
    [
      'Commit',
      s.commit
        ? link(`${s.branch}@${s.commit.slice(0, 12)}`, urlOf(s.commit))
        : dryRun
          ? '(dry run: would commit)'
          : '(already in place)',
    ],
  ];
  if (s.pipelineLine) rows.push(['CodePipeline', s.pipelineLine]);
  return `### ${dryRun ? 'Dry run: ' : ''}rollback ${s.serviceName} in ${s.environmentName}: ${from.version} → ${to.version}\n\n${markdownTable(
    ['', ''],
    rows.map((r) => [...r]),
  )}\n${dryRun ? 'Dry run: nothing was changed.\n' : ''}\n#### What runs where\n\n${await statusSection(
    s.repo,
    s.config,
    { service: s.serviceName, environment: s.environmentName },
    (w) => log.warning(w, { title: 'Status matrix' }),
  )}`;
}
