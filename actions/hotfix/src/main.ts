/**
 * hotfix — cherry-pick commits onto a service's release branch as the next patch version.
 * The branch and the tag land in one atomic push, or not at all.
 */
import { planHotfix, releaseTagName, requireService, type HotfixPlan } from '@sd-actions/core';
import {
  log,
  recordChange,
  getBoolean,
  getList,
  getString,
  configInput,
  loadConfigFile,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { cherryPick, ensureCommit, listRemoteRefs, listTags, pushBranchAndTag } from '@sd-actions/git';
import { resolveRemote, workspaceGit } from '@sd-actions/gitops';
import {
  alreadyPicked,
  checkPicks,
  lineStart,
  parseCommitInputs,
  refusePartlyPicked,
  resolveCommits,
} from './commits.js';
import { hotfixSummary, nothingToDoSummary, report, tagMessage } from './summary.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const commitInputs = parseCommitInputs(getList('commits'));
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
    await writeSummary(nothingToDoSummary(service.name, plan.releaseBranch, tipTag?.name));
    return;
  }
  refusePartlyPicked(commits, missing, picked, plan.releaseBranch);
  await checkPicks(git, config, service, onto, plan.releaseBranch, missing);

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
      message: tagMessage(service.name, plan, commits, subjects),
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

  await writeSummary(
    hotfixSummary({
      service: service.name,
      plan,
      existing: existing !== undefined,
      baseTag,
      commits,
      subjects,
      head,
      dryRun,
    }),
  );
}
