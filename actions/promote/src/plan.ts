/**
 * promote steps 1 and 2: resolve the artifact and its version, then check policy and the gates
 * (quarantine, verification, approval) before anything changes. Reads only.
 */
import {
  applyOverrides,
  checkPromotion,
  checkQuarantine,
  classifyVersion,
  imageRepository,
  releaseBranchName,
  releaseTagName,
  requireEnvironment,
  UserError,
  validatedEntry,
  type ArtifactFacts,
  type Refusal,
  type ServiceConfig,
} from '@sd-actions/core';
import { getString, log, now } from '@sd-actions/action-kit';
import { branchesContaining, Git, listRemoteRefs, type ScratchRepo } from '@sd-actions/git';
import { manifestPathOf, prefetchEnvironments, readEnvironment, readQuarantine } from '@sd-actions/gitops';
import { chooseVersion } from './version.js';
import { checkApproval, verificationGate, type ApprovalOutcome } from './gates.js';
import { refusedError, type PromoteInputs } from './inputs.js';

export interface PromotionPlan {
  service: ServiceConfig;
  image: string;
  artifact: ArtifactFacts;
  source: string;
  version: string;
  how: string;
  tagName: string | undefined;
  existingTag: { commit: string } | undefined;
  releaseBranch: string | undefined;
  verdict: ReturnType<typeof applyOverrides>;
  quarantined: Refusal | undefined;
  approval: ApprovalOutcome;
}

export interface RemoteAccess {
  url: string;
  authHeader?: string;
}

export async function planPromotion(
  inp: PromoteInputs,
  service: ServiceConfig,
  repo: ScratchRepo,
  remote: RemoteAccess,
  build?: { digest: string; commit: string },
): Promise<PromotionPlan> {
  const { config, to, fromName, context } = inp;
  // The remote's branches (one ls-remote, also the first look of the manifest commit), then every
  // environment branch and its manifest in one fetch and one read: the reads below, the edit's
  // first attempt and the summary use them.
  const heads = await repo.listBranches();
  await prefetchEnvironments(repo, config, heads);
  // 1. The artifact.
  const image = imageRepository(config, service);
  let artifact: ArtifactFacts | undefined;
  let source: string;
  let fromBranch: string | undefined;
  if (build) {
    artifact = { digest: build.digest, image, commit: build.commit };
    source = 'build';
  } else if (fromName === undefined) {
    throw new UserError(
      `Input "digest": required to promote into ${to.name}, which is fed by builds; pass build-once-tag's digest and source-commit outputs`,
    );
  } else {
    const fromEnv = requireEnvironment(config, fromName, 'from');
    // Values read back from a manifest are checked as strictly as inputs.
    artifact = validatedEntry((await readEnvironment(repo, config, fromEnv)).get(service.name), {
      file: `${fromEnv.branch}:${manifestPathOf(config, fromEnv.name)}`,
      service: service.name,
      image,
    });
    source = fromName;
    fromBranch = fromEnv.branch;
  }
  const current = (await readEnvironment(repo, config, to)).get(service.name);

  const { version, how } = await chooseVersion({
    input: inp.versionInput,
    artifact,
    entryEnvironment: fromName === undefined,
    config,
    service,
    remoteGit: repo.git,
    workspaceGit: new Git(inp.workspace),
    from: source,
  });
  const release = classifyVersion(version) === 'release';
  const tagName = release ? releaseTagName(config, service.name, version) : undefined;
  const existingTag = tagName
    ? (await listRemoteRefs(repo.git, 'origin', 'refs/tags/')).get(tagName)
    : undefined;
  const releaseBranch = release ? releaseBranchName(config, service.name, version) : undefined;

  // The source commit must be in origin, on a branch that is not a GitOps branch, before the
  // ledger records it (a build) or a release tag is made on it.
  let buildOnReleaseBranch: boolean | undefined;
  if (artifact && (source === 'build' || (tagName && !existingTag))) {
    const branches = await branchesContaining({
      url: remote.url,
      authHeader: remote.authHeader,
      commit: artifact.commit,
      exclude: [...config.environments.values()].map((e) => e.branch),
      heads,
    });
    if (branches.length === 0)
      throw new UserError(
        `Promotion of ${service.name} to ${to.name} refused, nothing was changed: source commit ${artifact.commit} (${source === 'build' ? 'input "source-commit"' : `recorded in ${source}`}) is not on any branch of origin; push it first, or pass the commit the image was built from`,
      );
    if (source === 'build' && releaseBranch) buildOnReleaseBranch = branches.includes(releaseBranch);
  }

  // 2. Policy, before anything changes.
  const policy = checkPromotion({
    service: service.name,
    from: source === 'build' ? undefined : source,
    to,
    version,
    artifact,
    current:
      current?.version && current.digest ? { version: current.version, digest: current.digest } : undefined,
    existingTagCommit: existingTag?.commit,
    tagName,
    releaseBranch,
    buildOnReleaseBranch,
    allowDowngrade: inp.allowDowngrade,
    now: now(),
  });
  const verdict = applyOverrides(policy, inp.override, to.name);
  // The gates, still before anything changes: a quarantined digest, then the approvals.
  const gates: Refusal[] = [];
  let quarantined: Refusal | undefined;
  let unverified: Refusal | undefined;
  let approval: ApprovalOutcome = { line: '— (not required)' };
  if (artifact) {
    const q = checkQuarantine({
      service: service.name,
      environment: to.name,
      digest: artifact.digest,
      version,
      quarantine: await readQuarantine(repo, config, to),
      allowQuarantined: inp.allowQuarantined,
    });
    if (q.refusal) gates.push(q.refusal);
    quarantined = q.warning;
    if (fromBranch && version) {
      const v = await verificationGate(
        repo,
        service.name,
        source,
        fromBranch,
        to.name,
        version,
        artifact.digest,
      );
      if (v.refusal) gates.push(v.refusal);
      unverified = v.warning;
    }
    approval = await checkApproval(inp.gate, {
      service: service.name,
      environment: to.name,
      digest: artifact.digest,
      token: getString('token'),
      runId: Number(context.runId),
      runUrl: context.runUrl,
    });
    if (approval.refusal) gates.push(approval.refusal);
  }
  for (const w of verdict.warnings) log.warning(`${w.message} [${w.rule}]`, { title: 'Promotion policy' });
  if (quarantined) log.warning(`${quarantined.message} [quarantine]`, { title: 'Quarantined digest' });
  if (unverified) log.warning(`${unverified.message} [verification]`, { title: 'Inconclusive verification' });
  if (verdict.refusals.length > 0 || gates.length > 0)
    throw refusedError(service.name, to.name, [...verdict.refusals, ...gates]);
  return {
    service,
    image,
    artifact: artifact!,
    source,
    version,
    how,
    tagName,
    existingTag,
    releaseBranch,
    verdict,
    quarantined,
    approval,
  };
}

/** The log lines once a promotion is allowed: the approval, overrides, and what is promoted. */
export function announce(inp: PromoteInputs, p: PromotionPlan): void {
  const { approval, verdict, artifact: art } = p;
  if (approval.evidence)
    log.info(`Approved by ${approval.evidence.approvedBy.join(', ')}: ${approval.evidence.approval}`);
  if (inp.override.soak && verdict.overridden.length === 0)
    log.notice(
      'override-soak was not needed: the soak requirement is already met (nothing is recorded as overridden)',
    );
  for (const o of verdict.overridden)
    log.warning(
      `OVERRIDDEN by ${inp.actor ?? 'unknown'} (${o.rule}): ${o.message}. Reason: ${inp.override.reason}`,
      {
        title: 'Policy overridden',
      },
    );
  log.info(
    `Promoting ${p.service.name} ${p.version} (${p.how}) from ${p.source} to ${inp.to.name}: ${art.image}@${art.digest}`,
  );
}
