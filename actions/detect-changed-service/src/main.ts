import {
  allServices,
  ChangeMatcher,
  describeReason,
  imageRepository,
  planComparison,
  requireService,
  type ChangedFile,
  type ServiceChange,
} from '@sd-actions/core';
import {
  code,
  core,
  getEnum,
  getInteger,
  getList,
  getString,
  loadConfigFile,
  markdownTable,
  readContext,
  runAction,
  writeSummary,
} from '@sd-actions/action-kit';
import { Git } from '@sd-actions/git';
import { resolveComparison } from './resolve.js';

async function main(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = loadConfigFile(workspace, getString('config') ?? '.github/sd-actions.yml');
  const requested = getList('services');
  for (const name of requested) requireService(config, name, 'services');
  const remote = 'origin';

  const plan = planComparison({
    eventName: context.eventName,
    payload: context.payload,
    sha: context.sha,
    ref: context.ref,
    base: getString('base'),
    head: getString('head'),
    services: requested,
    defaultBranch: getString('default-branch'),
    remote,
  });

  let changes: ServiceChange[];
  let base = '';
  let head = context.sha;
  let source: string;
  let fileCount: number | undefined;
  if (plan.kind === 'requested') {
    changes = [...new Set(plan.services)].map((name) => ({
      service: requireService(config, name, 'services'),
      reason: { kind: 'requested' as const, detail: plan.detail },
    }));
    changes.sort((a, b) => (a.service.name < b.service.name ? -1 : 1));
    source = plan.detail;
  } else if (plan.kind === 'all') {
    changes = allServices(config, plan.detail);
    source = plan.detail;
  } else {
    const git = new Git(workspace);
    const resolved = await resolveComparison(git, plan, {
      remote,
      maxDepth: getInteger('max-fetch-depth', 4096, 1),
      onMissingBase: getEnum('on-missing-base', ['fallback', 'fail'] as const, 'fallback'),
    });
    if ('all' in resolved) {
      changes = allServices(config, resolved.all);
      source = resolved.all;
    } else {
      ({ base, head, source } = resolved);
      const files = (await git.diffNameStatus(base, head)) as ChangedFile[];
      fileCount = files.length;
      changes = new ChangeMatcher(config).match(files);
    }
  }

  const names = changes.map((c) => c.service.name);
  const include = changes.map((c) => ({
    service: c.service.name,
    path: c.service.path,
    image: imageRepository(config, c.service),
  }));
  const reasons = Object.fromEntries(changes.map((c) => [c.service.name, describeReason(c.reason)]));
  core.setOutput('services', JSON.stringify(names));
  core.setOutput('matrix', JSON.stringify({ include }));
  core.setOutput('any-changed', names.length > 0 ? 'true' : 'false');
  core.setOutput('reasons', JSON.stringify(reasons));
  core.setOutput('base', base);
  core.setOutput('head', head);
  core.setOutput('base-source', source);

  const range = base ? `${base.slice(0, 7)}..${head.slice(0, 7)}` : 'no comparison';
  core.info(
    `${names.length} of ${config.services.size} services changed (${range}; ${source})${fileCount === undefined ? '' : `, ${fileCount} files`}`,
  );
  for (const c of changes) core.info(`  ${c.service.name}: ${reasons[c.service.name]}`);

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
  await writeSummary(heading + how + table);
}

await runAction(main);
