import {
  allServices,
  ChangeMatcher,
  parseConfig,
  requireService,
  show,
  UserError,
  type ServiceChange,
  literalServicePaths,
  MATRIX_JOB_LIMIT,
  missingServicePaths,
} from '@sd-actions/core';
import {
  log,
  getEnum,
  getInteger,
  getList,
  getString,
  configInput,
  readConfigFile,
  readContext,
} from '@sd-actions/action-kit';
import { Git, pathsAt } from '@sd-actions/git';
import { changedFiles, ensureCommit, resolveComparison } from './resolve.js';
import { plan, probeEarly, remote } from './plan.js';
import { report } from './summary.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const configFile = readConfigFile(workspace, configInput());
  const git = new Git(workspace);
  // git runs in processes of its own: start it now, so it overlaps parsing the config.
  const probe = probeEarly(git, context);
  const config = await parseConfig(configFile.text, configFile.file);
  const requested = getList('services');
  for (const name of requested) requireService(config, name, 'services');
  const comparison = plan(context, requested);
  const compareTo = getString('compare-to-environment');
  if (compareTo !== undefined && getString('base') !== undefined)
    throw new UserError(
      'Inputs "base" and "compare-to-environment" exclude each other; pass one (compare-to-environment compares each service with the commit the environment runs)',
    );
  const options = {
    remote,
    maxDepth: getInteger('max-fetch-depth', 4096, 1),
    onMissingBase: getEnum('on-missing-base', ['fallback', 'fail'] as const, 'fallback'),
  };
  const maxJobs = getInteger('max-jobs', MATRIX_JOB_LIMIT, 1, MATRIX_JOB_LIMIT);

  let changes: ServiceChange[];
  let base = '';
  let head = context.sha;
  let source: string;
  let fileCount: number | undefined;
  if (comparison.kind === 'requested') {
    changes = [...new Set(comparison.services)].map((name) => ({
      service: requireService(config, name, 'services'),
      reason: { kind: 'requested' as const, detail: comparison.detail },
    }));
    changes.sort((a, b) => (a.service.name < b.service.name ? -1 : 1));
    source = comparison.detail;
  } else if (compareTo !== undefined) {
    // Each service against the commit the environment records for it (not the previous push).
    // Loaded only here: reading a manifest needs the yaml library, which detect otherwise skips.
    const { compareToEnvironment, environmentOf } = await import('./deployed.js');
    const environment = environmentOf(config, compareTo);
    const wanted = getString('head') ?? (comparison.kind === 'diff' ? comparison.head : context.sha);
    const { shallow, commit } = await git.shallowAndCommit(wanted);
    const resolvedHead = commit ?? (await ensureCommit(git, wanted, remote, shallow));
    if (!resolvedHead)
      throw new UserError(
        `Input "head": ${show(wanted)} is not a commit in this repository or on ${remote}; expected a commit SHA, branch or tag`,
      );
    head = resolvedHead;
    const compared = await compareToEnvironment(git, config, environment, head, shallow, options);
    ({ changes, base, source, fileCount } = compared);
  } else if (comparison.kind === 'all') {
    changes = allServices(config, comparison.detail);
    source = comparison.detail;
  } else {
    const resolved = await resolveComparison(git, comparison, options, probe);
    if ('all' in resolved) {
      changes = allServices(config, resolved.all);
      source = resolved.all;
    } else {
      ({ base, head, source } = resolved);
      const files = await changedFiles(git, base, head, probe);
      fileCount = files.length;
      changes = new ChangeMatcher(config).match(files);
      // A path that does not exist at head can never match: say so, naming the service and path.
      const present = await pathsAt(git, head, literalServicePaths(config));
      for (const m of missingServicePaths(config, (p) => present.has(p)))
        log.warning(`${m.message} (checked at ${head.slice(0, 12)})`, { title: `sd-actions: ${m.service}` });
    }
  }

  await report({ config, changes, base, head, source, fileCount, maxJobs });
}
