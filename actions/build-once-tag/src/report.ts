/** The outputs, log lines and job summary of build-once-tag. */
import { code, log, markdownTable } from '@sd-actions/action-kit';
import type { Manifest, TagAction } from '@sd-actions/registry';

export interface Outcome {
  image: string;
  manifest: Manifest;
  shaTag: string;
  built: boolean;
  plan: TagAction[];
  service: string;
}

export function report(o: Outcome & { tags: string[]; labels: string[] }): void {
  const written = o.plan.filter((a) => a.action === 'add' || a.action === 'move');
  log.setOutput('image', o.image);
  log.setOutput('tag', o.built || o.tags.includes(o.shaTag) ? o.shaTag : '');
  log.setOutput('digest', o.manifest.digest);
  log.setOutput('image-ref', `${o.image}@${o.manifest.digest}`);
  log.setOutput('built', o.built ? 'true' : 'false');
  log.setOutput('tags', JSON.stringify(o.tags));
  log.setOutput('labels', o.labels.join('\n'));
  for (const a of o.plan) {
    const what = {
      add: 'added',
      move: `moved from ${a.current}`,
      present: 'already present',
      refuse: 'refused',
    }[a.action];
    log.info(`  ${o.image}:${a.tag} (${a.kind}) ${what}`);
  }
  if (!o.built && written.length === 0)
    log.info(`Nothing changed: ${o.image}@${o.manifest.digest} already carries every requested tag`);
  else log.info(`${o.image}@${o.manifest.digest}: ${written.length} tag(s) written, built: ${o.built}`);
}

export function summary(o: Outcome): string {
  const added = o.plan.filter((a) => a.action === 'add' || a.action === 'move');
  const present = o.plan.filter((a) => a.action === 'present');
  const list = (items: TagAction[]) =>
    items.length ? items.map((a) => (a.action === 'move' ? `${a.tag} (moved)` : a.tag)).join(', ') : '—';
  const heading = `### ${o.service}: ${o.built ? 'built once' : 'reused'} ${o.shaTag}\n\n`;
  const table = markdownTable(
    ['Service', 'Image', 'Digest', 'Tags added', 'Already present', 'Build'],
    [
      [
        o.service,
        code(o.image),
        code(o.manifest.digest),
        list(added),
        list(present),
        o.built ? 'built by this run' : 'reused (not built)',
      ],
    ],
  );
  const note =
    !o.built && added.length === 0
      ? '\n_Nothing changed: the image and every tag were already in place._\n'
      : '';
  return heading + table + note;
}
