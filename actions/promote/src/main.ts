/**
 * promote — the front door for one whole promotion of one service into one environment:
 *   1. resolve the artifact (the `from` environment's manifest entry, or the given build)
 *   2. check policy before anything changes, with the gates: `[quarantine]` (a digest found bad in
 *      the target) and `[approval]` (the environment's approvals, re-checked through the GitHub API
 *      by the config's rules)
 *   3. retag the digest in the registry with the environment's tags
 *   4. commit the manifest entry on the environment branch
 *   5. the first time a version is cut: tag {service}/{version} and create its release branch
 * Each step is idempotent, in an order where a crash anywhere leaves a state a re-run completes.
 */
import {
  applyOverrides,
  approvalRecord,
  checkDeployFiles,
  checkQuarantine,
  environmentApprovalPolicy,
  checkPromotion,
  explainPromotionFailure,
  classifyVersion,
  imageRepository,
  parseDeployFileSpec,
  releaseBranchName,
  releaseTagName,
  releaseValues,
  render,
  requireEnvironment,
  requireService,
  overrideRecord,
  UserError,
  validateCommitSha,
  validateOverride,
  validateDigest,
  validatedEntry,
  type ArtifactFacts,
  type ManifestPromotion,
  type PromotionProgress,
  type Refusal,
} from '@sd-actions/core';
import {
  code,
  commitUrl,
  diffDetails,
  log,
  getBoolean,
  getList,
  getString,
  link,
  recordChange,
  configInput,
  loadConfigFile,
  markdownTable,
  readContext,
  readRegistryCredentials,
  now,
  timestamp,
  writeSummary,
} from '@sd-actions/action-kit';
import {
  branchesContaining,
  ensureBranch,
  ensureTag,
  Git,
  listRemoteRefs,
  ScratchRepo,
} from '@sd-actions/git';
import {
  manifestPathOf,
  readEnvironment,
  readQuarantine,
  resolveRemote,
  statusSection,
  updateManifest,
} from '@sd-actions/gitops';
import { startPromotionDeployment } from '@sd-actions/github';
import { environmentUrl } from '@sd-actions/core';
import { openRegistry, planRetag, retag, tagKind, type TagAction } from '@sd-actions/registry';
import { chooseVersion } from './version.js';
import {
  approvalGateInputs,
  checkApproval,
  verificationGate,
  withQuarantineOverride,
  type ApprovalOutcome,
} from './gates.js';

/** The action: read and validate the inputs, act, set the outputs, write the summary. */
export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Inputs and config first: a mistake here changes nothing anywhere.
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const to = requireEnvironment(config, getString('to', { required: true }), 'to');
  const fromInput = getString('from');
  const fromName = fromInput ?? to.from;
  if (fromInput !== undefined) requireEnvironment(config, fromInput, 'from');
  if (fromName === to.name)
    throw new UserError(
      `Input "from": ${JSON.stringify(fromName)} is the target environment itself; expected an earlier environment`,
    );
  const versionInput = getString('version');
  if (versionInput !== undefined && versionInput !== 'auto' && classifyVersion(versionInput) === undefined)
    throw new UserError(
      `Input "version": ${JSON.stringify(versionInput)} is not valid; expected semver like 1.6.0, a build tag like sha-abc1234, or auto`,
    );
  const digestInput = getString('digest');
  if (digestInput !== undefined) validateDigest(digestInput);
  const sourceInput = getString('source-commit');
  if (sourceInput !== undefined) validateCommitSha(sourceInput);
  if (digestInput && !sourceInput)
    throw new UserError(
      'Input "source-commit" is required with "digest": the manifest records the commit a build came from',
    );
  const imageInput = getString('image');
  if (imageInput !== undefined && imageInput !== imageRepository(config, service))
    throw new UserError(
      `Input "image": ${JSON.stringify(imageInput)} is not the image of ${service.name} in ${config.file}; expected ${imageRepository(config, service)}`,
    );
  const allowDowngrade = getBoolean('allow-downgrade');
  const dryRun = getBoolean('dry-run');
  const override = validateOverride({ soak: getBoolean('override-soak'), reason: getString('reason') });
  const specs = getList('files').map((line) => parseDeployFileSpec(line));
  checkDeployFiles(config, to, specs);
  const credentials = readRegistryCredentials();
  const actor = context.actor || undefined;
  const allowQuarantined = getBoolean('allow-quarantined');
  const deployments = getBoolean('deployments', true);
  const gate = approvalGateInputs(to.name, environmentApprovalPolicy(to), dryRun, context.repository);
  const refused = (rs: readonly Refusal[]) =>
    new UserError(
      `Promotion of ${service.name} to ${to.name} refused, nothing was changed: ${rs.map((r) => `[${r.rule}] ${r.message}`).join('; ')}`,
    );
  if (gate.missing) throw refused([gate.missing]);

  const remote = await resolveRemote(workspace, 'origin', getString('token'), { mask: log.setSecret });
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  const registry = openRegistry(config.registry, { workspace, credentials });
  const progress: PromotionProgress = { done: [] };
  try {
    // 1. The artifact.
    const image = imageRepository(config, service);
    let artifact: ArtifactFacts | undefined;
    let source: string;
    let fromBranch: string | undefined;
    if (digestInput && sourceInput) {
      artifact = { digest: digestInput, image, commit: sourceInput };
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
      input: versionInput,
      artifact,
      entryEnvironment: fromName === undefined,
      config,
      service,
      remoteGit: repo.git,
      workspaceGit: new Git(workspace),
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
      allowDowngrade,
      now: now(),
    });
    const verdict = applyOverrides(policy, override, to.name);
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
        allowQuarantined,
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
      approval = await checkApproval(gate, {
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
    if (unverified)
      log.warning(`${unverified.message} [verification]`, { title: 'Inconclusive verification' });
    if (verdict.refusals.length > 0 || gates.length > 0) throw refused([...verdict.refusals, ...gates]);
    const art = artifact!;
    if (approval.evidence)
      log.info(`Approved by ${approval.evidence.approvedBy.join(', ')}: ${approval.evidence.approval}`);
    if (override.soak && verdict.overridden.length === 0)
      log.notice(
        'override-soak was not needed: the soak requirement is already met (nothing is recorded as overridden)',
      );
    for (const o of verdict.overridden)
      log.warning(
        `OVERRIDDEN by ${actor ?? 'unknown'} (${o.rule}): ${o.message}. Reason: ${override.reason}`,
        {
          title: 'Policy overridden',
        },
      );
    log.info(
      `Promoting ${service.name} ${version} (${how}) from ${source} to ${to.name}: ${art.image}@${art.digest}`,
    );

    // 3. Registry: the same digest gets the environment's tags; immutable tags never move.
    progress.stage = 'registry';
    const manifest = await registry.getManifest(service.image, art.digest);
    if (!manifest)
      throw new UserError(
        `${image}@${art.digest} is not in the ${config.registry.type} registry; was it pushed (build-once-tag)?`,
      );
    const values = {
      ...(classifyVersion(version) === 'release'
        ? releaseValues(service.name, version)
        : { service: service.name, version }),
      environment: to.name,
      sha: `sha-${art.commit.slice(0, 7)}`,
    };
    const requests = to.tags.map((template) => {
      const tag = render(template, values);
      return { tag, kind: tagKind(template, tag) };
    });
    const tagPlan: TagAction[] = dryRun
      ? await planRetag(registry, service.image, art.digest, requests)
      : await retag(registry, service.image, manifest, requests);
    for (const t of tagPlan)
      if (!dryRun && (t.action === 'add' || t.action === 'move'))
        recordChange(
          `registry tag ${image}:${t.tag} ${t.action === 'add' ? 'added' : 'moved'} to ${art.digest}`,
        );

    // 4. The manifest on the environment branch.
    progress.stage = 'push';
    const moved = tagPlan.filter((t) => t.action === 'add' || t.action === 'move').map((t) => t.tag);
    if (!dryRun && moved.length) progress.done.push(`registry tags ${moved.join(', ')} → ${art.digest}`);
    const promotion: ManifestPromotion = {
      version,
      image,
      digest: art.digest,
      commit: art.commit,
      promotedAt: timestamp(),
      promotedBy: actor,
    };
    const update = await updateManifest({
      repo,
      config,
      service,
      environment: to,
      promotion,
      fromEnvironment: source,
      specs,
      dryRun,
      runUrl: context.runUrl,
      override: withQuarantineOverride(overrideRecord(verdict.overridden, override), quarantined),
      approval: approvalRecord(approval.evidence),
      log: (line) => log.info(line),
    });
    if (!dryRun && update.commit && update.changed)
      recordChange(`manifest commit ${update.commit.slice(0, 12)} pushed to ${update.branch}`);
    if (!dryRun && update.changed && deployments)
      await startPromotionDeployment(
        {
          token: getString('token'),
          repository: context.repository,
          apiUrl: process.env.GITHUB_API_URL,
          warn: (m) => log.warning(m, { title: 'GitHub Deployments' }),
        },
        {
          service: service.name,
          environment: to.name,
          version,
          digest: art.digest,
          commit: art.commit,
          logUrl: context.runUrl,
          environmentUrl: environmentUrl(to, { service: service.name, version }),
        },
      );

    // 5. The release tag and branch, the first time this version is cut.
    let tagOutcome: 'created' | 'exists' | 'would create' | undefined;
    let branchOutcome: string | undefined;
    if (tagName) {
      const branchName = releaseBranch!;
      if (dryRun) tagOutcome = existingTag ? 'exists' : 'would create';
      else {
        tagOutcome = await ensureTag(repo.git, {
          remote: 'origin',
          name: tagName,
          commit: art.commit,
          message: `${service.name} ${version}`,
        });
        if (tagOutcome === 'created')
          recordChange(`git tag ${tagName} created on ${art.commit.slice(0, 12)}`);
        if (tagOutcome === 'created') {
          const branch = await ensureBranch(repo.git, {
            remote: 'origin',
            name: branchName,
            commit: art.commit,
          });
          branchOutcome = `${branchName} (${branch.outcome})`;
        }
      }
    }

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
      [
        'Registry tags',
        tagPlan
          .map(
            (t) =>
              `${t.tag} (${t.action === 'present' ? 'already there' : dryRun ? `would ${t.action}` : t.action === 'add' ? 'added' : 'moved'})`,
          )
          .join(', ') || '—',
      ],
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
  } catch (err) {
    // A missing permission: say which, what already changed, and that a re-run completes it.
    const explained = explainPromotionFailure(
      (err as Error).message ?? String(err),
      config.registry.type,
      progress,
    );
    throw explained ? new UserError(explained) : err;
  } finally {
    await registry.close?.();
    await repo.dispose();
  }
}
