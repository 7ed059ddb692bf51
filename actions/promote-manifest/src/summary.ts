/** The step summary of one manifest promotion: what moved where, the commits as links, and the diff on a dry run. */
import { environmentChain, type Config } from '@sd-actions/core';
import { code, commitUrl, diffDetails, link, markdownTable, readContext } from '@sd-actions/action-kit';
import type { updateManifest } from '@sd-actions/gitops';

export function promotionSummary(s: {
  context: ReturnType<typeof readContext>;
  config: Config;
  serviceName: string;
  environmentName: string;
  fromName: string | undefined;
  branch: string;
  version: string;
  digest: string;
  sourceCommit: string | undefined;
  dryRun: boolean;
  update: Awaited<ReturnType<typeof updateManifest>>;
  /** The status sentence also logged, lower-case first. */
  status: string;
}): string {
  const { update, dryRun, branch } = s;
  const previous = update.previous;
  const urlOf = (sha: string) => commitUrl(s.context, sha);
  const chain = environmentChain(s.config, s.environmentName)
    .map((e) => e.name)
    .join(' → ');
  const heading = `### ${dryRun ? 'Dry run: ' : ''}promote ${s.serviceName} ${s.version} to ${s.environmentName}\n\n`;
  const table = markdownTable(
    ['Service', 'Environment', 'Version', 'Digest', 'Source commit', 'Manifest commit'],
    [
      [
        s.serviceName,
        s.fromName ? `${s.environmentName} (from ${s.fromName}; ${chain})` : s.environmentName,
        `${previous?.version ?? 'none'} → ${s.version}`,
        code(s.digest),
        s.sourceCommit ? link(s.sourceCommit.slice(0, 12), urlOf(s.sourceCommit)) : '—',
        update.commit && !dryRun ? link(update.commit.slice(0, 12), urlOf(update.commit)) : '—',
      ],
    ],
  );
  const files = update.touched.length
    ? `\nFiles on \`${branch}\`: ${update.touched.map((f) => `\`${f}\``).join(', ')}\n`
    : '';
  const diff = update.changed && dryRun ? diffDetails('Diff', update.diff) : '';
  return `${heading}${table}\n${s.status.charAt(0).toUpperCase()}${s.status.slice(1)}.\n${files}${diff}`;
}
