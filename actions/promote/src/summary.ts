/** promote's outputs, final log lines and job summary. */
import { code, commitUrl, diffDetails, link, log, markdownTable, writeSummary } from '@sd-actions/action-kit';
import type { ScratchRepo } from '@sd-actions/git';
import { statusSection, type ManifestUpdate } from '@sd-actions/gitops';
import type { TagAction } from '@sd-actions/registry';
import type { PromoteInputs } from './inputs.js';
import type { PromotionPlan } from './plan.js';
import type { ReleaseOutcome } from './steps.js';

export async function report(
  inp: PromoteInputs,
  p: PromotionPlan,
  tagPlan: TagAction[],
  update: ManifestUpdate,
  release: ReleaseOutcome,
  repo: ScratchRepo,
): Promise<void> {
  const { dryRun, to, actor, override, config, context } = inp;
  const { service, version, how, source, tagName, verdict, quarantined, approval, image, artifact: art } = p;
  const { tagOutcome, branchOutcome } = release;
  const tagsWritten = tagPlan.filter((t) => t.action === 'add' || t.action === 'move');
  const changed = !dryRun && (update.changed || tagsWritten.length > 0 || tagOutcome === 'created');
  log.setOutput('version', version);
  log.setOutput('digest', art.digest);
  log.setOutput('image-ref', `${image}@${art.digest}`);
  log.setOutput('commit', !dryRun && update.commit ? update.commit : '');
  log.setOutput('tag', tagName ?? '');
  log.setOutput('changed', changed ? 'true' : 'false');
  log.setOutput('previous-version', update.previous?.version ?? '');
  log.setOutput('from', source);

  const verdictLine = dryRun
    ? 'Dry run: nothing was changed.'
    : changed
      ? `Promoted ${service.name} ${version} to ${to.name}.`
      : `Nothing changed: ${service.name} ${version} was already promoted to ${to.name} (registry tags, manifest and git tag all in place).`;
  log.info(verdictLine);
  if (update.diff) log.info(update.diff);

  // Summary: the promotion, then what runs where now.
  const urlOf = (sha: string) => commitUrl(context, sha);
  const rows = [
    ['Service', service.name],
    ['From → to', `${source} → ${to.name}`],
    ['Version', `${update.previous?.version ?? 'none'} → ${version} (${how})`],
    ['Digest', code(art.digest)],
    ['Source commit', link(art.commit.slice(0, 12), urlOf(art.commit))],
    ['Registry tags', tagsCell(tagPlan, dryRun)],
    [
      'Manifest',
      update.commit && !dryRun
        ? link(`${update.branch}@${update.commit.slice(0, 12)}`, urlOf(update.commit))
        : update.changed
          ? `${update.branch} (would commit)`
          : `${update.branch} (already up to date)`,
    ],
    ['Approval', approval.line],
    [
      'Git tag',
      tagName
        ? `${tagName} (${tagOutcome})${branchOutcome ? `; release branch ${branchOutcome}` : ''}`
        : '— (build tag)',
    ],
  ] as const;
  const overrideBlock = verdict.overridden.length
    ? `> [!CAUTION]\n> **Policy overridden${dryRun ? ' (dry run)' : ''}: ${verdict.overridden.map((o) => o.rule).join(', ')}** by ${actor ?? 'unknown'} — ${verdict.overridden.map((o) => o.message).join('; ')}.\n> Reason: ${override.reason}\n> Recorded in the ledger as \`Sd-Override\` and \`Sd-Override-Reason\`.\n\n`
    : '';
  const quarantineBlock = quarantined
    ? `> [!CAUTION]\n> **Quarantined digest ${dryRun ? 'would be ' : ''}promoted on purpose** (allow-quarantined: true) by ${actor ?? 'unknown'}: ${quarantined.message}.\n> Recorded in the ledger as \`Sd-Override: quarantine\`.\n\n`
    : '';
  let summary = `${quarantineBlock}${overrideBlock}### ${dryRun ? 'Dry run: ' : ''}promote ${service.name} ${version} → ${to.name}\n\n${markdownTable(
    ['', ''],
    rows.map((r) => [...r]),
  )}\n${verdictLine}\n`;
  for (const w of verdict.warnings) summary += `\n> ⚠ ${w.message}\n`;
  if (dryRun && update.diff) summary += diffDetails('Manifest diff', update.diff);
  summary += `\n#### What runs where\n\n${await statusSection(repo, config, { service: service.name, environment: to.name }, (w) => log.warning(w, { title: 'Status matrix' }))}`;
  await writeSummary(summary);
}

/** The registry tags cell: each tag and what happened to it. */
export function tagsCell(tagPlan: TagAction[], dryRun: boolean): string {
  return (
    tagPlan
      .map(
        (t) =>
          `${t.tag} (${t.action === 'present' ? 'already there' : dryRun ? `would ${t.action}` : t.action === 'add' ? 'added' : 'moved'})`,
      )
      .join(', ') || '—'
  );
}
