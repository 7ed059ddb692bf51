/** detect's outputs, log lines and job summary. */
import {
  chunkedMatrix,
  describeReason,
  imageRepository,
  type Config,
  type ServiceChange,
} from '@sd-actions/core';
import { code, log, markdownTable, writeSummary } from '@sd-actions/action-kit';

export interface Detected {
  config: Config;
  changes: ServiceChange[];
  base: string;
  head: string;
  source: string;
  fileCount: number | undefined;
  /** At most this many matrix entries: above it, the matrix carries chunks of services. */
  maxJobs: number;
}

export async function report(d: Detected): Promise<void> {
  const { config, changes, base, head, source, fileCount } = d;
  const names = changes.map((c) => c.service.name);
  const chunked = names.length > d.maxJobs;
  const matrix = chunked
    ? chunkedMatrix(configOrder(config, names), d.maxJobs)
    : {
        include: changes.map((c) => ({
          service: c.service.name,
          path: c.service.path,
          image: imageRepository(config, c.service),
        })),
      };
  const reasons = Object.fromEntries(changes.map((c) => [c.service.name, describeReason(c.reason)]));
  log.setOutput('services', JSON.stringify(names));
  log.setOutput('matrix', JSON.stringify(matrix));
  log.setOutput('chunked', chunked ? 'true' : 'false');
  log.setOutput('any-changed', names.length > 0 ? 'true' : 'false');
  log.setOutput('reasons', JSON.stringify(reasons));
  log.setOutput('base', base);
  log.setOutput('head', head);
  log.setOutput('base-source', source);

  const range = base ? `${base.slice(0, 7)}..${head.slice(0, 7)}` : 'no comparison';
  log.info(
    `${names.length} of ${config.services.size} services changed (${range}; ${source})${fileCount === undefined ? '' : `, ${fileCount} files`}`,
  );
  for (const c of changes) log.info(`  ${c.service.name}: ${reasons[c.service.name]}`);
  const chunkNote = chunked
    ? `The matrix is chunked: ${names.length} changed services are more than max-jobs (${d.maxJobs}; GitHub runs at most 256 jobs per matrix), so each of its ${matrix.include.length} entries carries ${sizes(names.length, matrix.include.length)} services (\`chunk\`, \`services\`).`
    : '';
  if (chunked) log.info(chunkNote);

  const heading = `### Changed services: ${names.length} of ${config.services.size}\n\n`;
  const how = `Compared ${base ? `${code(base.slice(0, 12)).html}..${code(head.slice(0, 12)).html}` : 'nothing'} — ${source}${fileCount === undefined ? '' : ` (${fileCount} changed files)`}.\n\n`;
  const table =
    changes.length > 0
      ? markdownTable(
          ['Service', 'Path', 'Image', 'Why'],
          changes.map((c) => [
            c.service.name,
            code(c.service.path),
            code(imageRepository(config, c.service)),
            reasons[c.service.name] ?? '',
          ]),
        )
      : '_No service changed._\n';
  await writeSummary(heading + how + (chunked ? `${chunkNote}\n\n` : '') + table);
}

/** The changed services in the config's order (the chunks' order). */
function configOrder(config: Config, names: string[]): string[] {
  const changed = new Set(names);
  return [...config.services.keys()].filter((name) => changed.has(name));
}

function sizes(services: number, chunks: number): string {
  const low = Math.floor(services / chunks);
  return services % chunks === 0 ? `${low}` : `${low}–${low + 1}`;
}
