/**
 * hotfix — cherry-pick commits onto a service's release branch as the next patch version.
 * The branch and the tag land in one atomic push, or not at all.
 */
import semver from 'semver';
import {
  ChangeMatcher,
  planHotfix,
  releaseTagName,
  requireService,
  SHA_PREFIX,
  show,
  UserError,
  type ChangedFile,
  type HotfixPlan,
} from '@sd-actions/core';
import {
  code,
  log,
  recordChange,
  getBoolean,
  getList,
  getString,
  configInput,
  loadConfigFile,
  markdownTable,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import {
  cherryPick,
  ensureCommit,
  heldBy,
  listRemoteRefs,
  listTags,
  pushBranchAndTag,
  type Git,
} from '@sd-actions/git';
import { resolveRemote, workspaceGit } from '@sd-actions/gitops';

/** Full SHAs of the commits to pick, read from the checkout's history (unshallowed if needed). */
async function resolveCommits(git: Git, inputs: string[]): Promise<string[]> {
  if (await git.unshallow('origin'))
    log.info('The checkout was shallow: fetched the history the cherry-picks need');
  const full: string[] = [];
  for (const sha of inputs) {
    let resolved = await git.resolveCommit(sha);
    if (!resolved && sha.length === 40) {
      await ensureCommit(git, 'origin', sha).catch(() => undefined);
      resolved = await git.resolveCommit(sha);
    }
    if (!resolved)
      throw new UserError(
        `Input "commits": ${show(sha)} is not a commit in this repository or on origin; expected a pushed commit SHA`,
      );
    full.push(resolved);
  }
  return full;
}

/** Where a release line leaves main: the commit of its first (lowest) release tag. */
function lineStart(
  tags: { commit: string; values: { version?: string } }[],
  version: string,
): string | undefined {
  const [major, minor] = version.split('.');
  const onLine = tags
    .filter(
      (t) =>
        t.values.version &&
        semver.valid(t.values.version) &&
        t.values.version.split('.').slice(0, 2).join('.') === `${major}.${minor}`,
    )
    .sort((a, b) => semver.compare(a.values.version!, b.values.version!));
  return onLine[0]?.commit;
}

/** Commits already cherry-picked onto the line (by the `(cherry picked from commit …)` trailer). */
async function alreadyPicked(git: Git, tip: string, since: string | undefined): Promise<Set<string>> {
  const log = await git.run(['log', '--format=%B', '--end-of-options', tip, ...(since ? [`^${since}`] : [])]);
  return new Set([...log.matchAll(/\(cherry picked from commit ([0-9a-f]{40})\)/g)].map((m) => m[1]!));
}

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const commitInputs = getList('commits')
    .flatMap((c) => c.split(/\s+/))
    .filter(Boolean);
  if (commitInputs.length === 0) throw new UserError('Input "commits" is required but was not given');
  for (const c of commitInputs)
    if (!SHA_PREFIX.test(c.toLowerCase()))
      throw new UserError(
        `Input "commits": ${show(c)} is not valid; expected a commit SHA (7 to 64 hex digits)`,
      );
  const line = getString('line');
  const dryRun = getBoolean('dry-run');

  const remote = await resolveRemote(workspace, 'origin', getString('token'), { mask: log.setSecret });
  const git = workspaceGit(workspace, remote);

  const tags = await listTags(git, 'origin', config.git.tag, { service: service.name });
  const plan: HotfixPlan = planHotfix(
    config,
    service.name,
    tags.map((t) => t.name),
    line,
  );
  const commits = await resolveCommits(git, commitInputs);
  const baseTag = releaseTagName(config, service.name, plan.baseVersion);
  const baseCommit = tags.find((t) => t.name === baseTag)!.commit;
  const existing = (await listRemoteRefs(git, 'origin', 'refs/heads/')).get(plan.releaseBranch);
  const onto = existing?.commit ?? baseCommit;
  await ensureCommit(git, 'origin', onto);
  log.info(
    `${service.name}: patching ${plan.baseVersion} on ${plan.releaseBranch} (${existing ? `at ${onto.slice(0, 12)}` : `new, from ${baseTag}`}) with ${commits.length} commit(s) → ${plan.version}`,
  );

  // A re-run after success: the line already carries these picks, under the latest tag.
  const picked = existing
    ? await alreadyPicked(git, onto, lineStart(tags, plan.baseVersion))
    : new Set<string>();
  const missing = commits.filter((c) => !picked.has(c));
  if (missing.length === 0) {
    const tipTag = tags.find((t) => t.commit === onto);
    log.info(
      `Nothing changed: ${commits.map((c) => c.slice(0, 12)).join(', ')} already on ${plan.releaseBranch}${tipTag ? ` (${tipTag.name})` : ''}`,
    );
    const version = tipTag?.values.version ?? plan.baseVersion;
    report({
      version,
      tag: tipTag?.name ?? baseTag,
      branch: plan.releaseBranch,
      commit: onto,
      base: plan.baseVersion,
      changed: false,
    });
    await writeSummary(
      `### Hotfix ${service.name}: nothing to do\n\nEvery commit is already on \`${plan.releaseBranch}\`${tipTag ? ` (released as ${tipTag.name})` : ''}.\n`,
    );
    return;
  }
  if (missing.length < commits.length)
    throw new UserError(
      `Input "commits": ${commits
        .filter((c) => picked.has(c))
        .map((c) => c.slice(0, 12))
        .join(
          ', ',
        )} already on ${plan.releaseBranch} but ${missing.map((c) => c.slice(0, 12)).join(', ')} not; pass only the commits still to pick`,
    );

  // Before picking: a commit the line already holds is not a hotfix (git would call it a conflict
  // or an empty pick); one that touches none of the service's paths is probably the wrong commit.
  for (const c of missing) {
    const holder = await heldBy(git, onto, c);
    if (holder)
      throw new UserError(
        `Input "commits": ${c.slice(0, 12)} is already on ${plan.releaseBranch}${holder === c ? ` (the line was cut after it: ${onto.slice(0, 12)} contains it)` : ` as ${holder.slice(0, 12)} (the same change)`}; nothing to hotfix — pass only commits the line lacks`,
      );
    const files = await git.diffNameStatus(`${c}^`, c);
    const touches = new ChangeMatcher(config)
      .match(files as ChangedFile[])
      .some((m) => m.service.name === service.name);
    if (!touches)
      log.warning(
        `${c.slice(0, 12)} changes none of ${service.name}'s paths (${service.path}${service.dependsOn.length ? `, ${service.dependsOn.join(', ')}` : ''}); is it the right commit for this service?`,
        { title: `sd-actions hotfix: ${service.name}` },
      );
  }

  // Cherry-pick in a temporary worktree; a conflict aborts it there and nothing is pushed.
  const head = await cherryPick(git, { onto, commits });
  const subjects = await Promise.all(
    commits.map((c) => git.run(['log', '-1', '--format=%s', '--end-of-options', c])),
  );
  if (!dryRun) {
    await pushBranchAndTag(git, {
      remote: 'origin',
      branch: plan.releaseBranch,
      commit: head,
      tag: plan.tag,
      message: `${service.name} ${plan.version}: hotfix of ${plan.baseVersion}\n\n${commits.map((c, i) => `- ${c.slice(0, 12)} ${subjects[i]}`).join('\n')}`,
    });
    recordChange(`branch ${plan.releaseBranch} pushed at ${head.slice(0, 12)} with tag ${plan.tag}`);
  }
  log.info(
    `${dryRun ? 'Dry run: would push' : 'Pushed'} ${plan.releaseBranch} at ${head.slice(0, 12)} and tag ${plan.tag}`,
  );
  report({
    version: plan.version,
    tag: plan.tag,
    branch: plan.releaseBranch,
    commit: head,
    base: plan.baseVersion,
    changed: !dryRun,
  });

  const table = markdownTable(
    ['', ''],
    [
      ['Service', service.name],
      ['Release branch', `${plan.releaseBranch} (${existing ? 'existing' : `created from ${baseTag}`})`],
      ['Version', `${plan.baseVersion} → ${plan.version}`],
      ['Picked', commits.map((c, i) => `${c.slice(0, 12)} ${subjects[i]}`).join('\n')],
      ['New commit', code(head)],
      ['Tag', `${plan.tag}${dryRun ? ' (dry run: not pushed)' : ''}`],
    ],
  );
  await writeSummary(
    `### ${dryRun ? 'Dry run: ' : ''}hotfix ${service.name} ${plan.version}\n\n${table}\nNext: build once from ${code(head.slice(0, 12)).html} and promote it.\n`,
  );
}

function report(o: {
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
