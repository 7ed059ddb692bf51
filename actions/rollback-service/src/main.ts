/**
 * rollback-service (issue 13) — undo a bad deployment of one service in one environment:
 *   1. read the environment branch's ledger and manifest; plan the target (planRollback): the
 *      newest earlier version verified healthy, or `to-version`; idempotent, loop-guarded
 *   2. check the target's ledger digest against the registry
 *   3. move only the environment's moving tags back to the target digest
 *   4. one commit on the environment branch: the entry restored + the bad version quarantined
 *   5. CodePipeline RollbackStage, when the environment's verify.codepipeline names a stage
 * Everything is checked before the first write; each step converges on a re-run.
 */
import {
  applyRollback,
  checkRegistryDigest,
  classifyVersion,
  DEFAULT_ROLLBACK_REASON,
  imageRepository,
  parseDuration,
  parseManifest,
  parseQuarantine,
  planRollback,
  releaseValues,
  render,
  renderVerifyTemplate,
  requireEnvironment,
  requireService,
  rollbackMessage,
  rollbackOfThisRun,
  show,
  UserError,
  validateVersion,
  type ManifestPromotion,
  type QuarantineEntry,
  type RollbackDecision,
} from '@sd-actions/core';
import {
  code,
  commitUrl,
  configInput,
  getBoolean,
  getString,
  link,
  loadConfigFile,
  log,
  markdownTable,
  now,
  readContext,
  readRegistryCredentials,
  recordChange,
  timestamp,
  writeSummary,
} from '@sd-actions/action-kit';
import { ScratchRepo, updateBranch } from '@sd-actions/git';
import {
  fetchLedgerBranch,
  manifestPathOf,
  readLedger,
  resolveRemote,
  statusSection,
} from '@sd-actions/gitops';
import { openRegistry, planRetag, retag, tagKind, type TagAction } from '@sd-actions/registry';
import { CodePipeline } from '@sd-actions/aws';
import { rollbackDeployments } from '@sd-actions/github';
import { environmentUrl } from '@sd-actions/core';

type Rollback = Extract<RollbackDecision, { kind: 'rollback' }>;

function setOutputs(o: {
  rolledBack: boolean;
  to: string;
  from: string;
  digest: string;
  commit: string;
  quarantined: string;
}): void {
  log.setOutput('rolled-back', o.rolledBack ? 'true' : 'false');
  log.setOutput('rolled-back-to', o.to);
  log.setOutput('rolled-back-from', o.from);
  log.setOutput('digest', o.digest);
  log.setOutput('commit', o.commit);
  log.setOutput('quarantined', o.quarantined);
}

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Inputs and config first: a mistake here changes nothing anywhere.
  const config = await loadConfigFile(workspace, configInput());
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }), 'environment');
  const toVersion = getString('to-version');
  if (toVersion !== undefined) validateVersion(toVersion, 'to-version');
  const fromVersion = getString('from-version');
  if (fromVersion !== undefined) validateVersion(fromVersion, 'from-version');
  const reason = getString('reason') ?? DEFAULT_ROLLBACK_REASON;
  if (/[\u0000-\u001f\u007f]/.test(reason))
    throw new UserError(`Input "reason": ${show(reason)} is not one line; expected a short sentence`);
  const quarantine = getBoolean('quarantine', true);
  const cooldownText = getString('cooldown') ?? '30m';
  const cooldownMs = /^0+$/.test(cooldownText) ? 0 : parseDuration(cooldownText);
  if (cooldownMs === undefined)
    throw new UserError(
      `Input "cooldown": ${show(cooldownText)} is not a duration; expected a number with a unit, like 30m or 2h (0 for none)`,
    );
  const allowUnverified = getBoolean('allow-unverified');
  const allowQuarantined = getBoolean('allow-quarantined');
  const dryRun = getBoolean('dry-run');
  const deployments = getBoolean('deployments', true);
  const credentials = readRegistryCredentials();
  const actor = context.actor || undefined;
  const pipelineSpec = environment.verify?.codepipeline;
  if (pipelineSpec && pipelineSpec.stage === undefined)
    log.notice(
      `environments.${environment.name}.verify.codepipeline names no stage, so no CodePipeline RollbackStage is made; add stage to roll the pipeline back too`,
    );

  const remote = await resolveRemote(workspace, getString('remote') ?? 'origin', getString('token'), {
    mask: log.setSecret,
  });
  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader });
  const registry = openRegistry(config.registry, { workspace, credentials });
  try {
    // 1. The ledger, the manifest and the plan.
    const branch = environment.branch;
    const manifestPath = manifestPathOf(config, environment.name);
    const file = `${branch}:${manifestPath}`;
    const tip = await fetchLedgerBranch(repo, branch);
    if (!tip)
      throw new UserError(
        `Branch ${show(branch)} does not exist: ${service.name} was never deployed to ${environment.name}, so there is nothing to roll back`,
      );
    const text = await repo.readFile(tip, manifestPath);
    if (text === undefined)
      throw new UserError(`${file} does not exist: nothing is deployed to ${environment.name}`);
    const entry = parseManifest(text, file).services.get(service.name);
    const quarantined = parseQuarantine(text, file);
    const ledger = await readLedger(repo.git, tip, environment.name, { service: service.name });
    for (const m of ledger.malformed)
      log.warning(
        `Ledger record ${m.sha.slice(0, 12)} (${m.subject}) is malformed and was skipped: ${m.problems.join('; ')}`,
        { title: 'Ledger' },
      );
    const sameRun = rollbackOfThisRun(ledger, entry, context.runUrl);
    const plan: RollbackDecision = sameRun
      ? {
          kind: 'noop',
          current: { version: sameRun.version, digest: sameRun.digest },
          rollback: sameRun,
          message: `${service.name} in ${environment.name}: this run (${context.runUrl}) already rolled ${sameRun.previousVersion} back to ${sameRun.version} (${sameRun.sha.slice(0, 12)}); nothing to do`,
        }
      : planRollback({
          service: service.name,
          environment: environment.name,
          current: entry,
          ledger,
          quarantine: quarantined,
          toVersion,
          fromVersion,
          reason,
          cooldownMs,
          allowUnverified,
          allowQuarantined,
          now: now(),
        });
    if (plan.kind === 'refused')
      throw new UserError(
        `Rollback of ${service.name} in ${environment.name} refused [${plan.rule}]: ${plan.message}`,
      );
    if (plan.kind === 'noop') {
      log.info(plan.message);
      setOutputs({
        rolledBack: false,
        to: plan.current.version,
        from: fromVersion ?? plan.rollback?.rollbackOf ?? '',
        digest: plan.current.digest,
        commit: '',
        quarantined: '',
      });
      await writeSummary(
        `### rollback ${service.name} in ${environment.name}: nothing to do\n\n${plan.message}\n`,
      );
      return;
    }
    const { from, to } = plan;
    const image = to.image ?? imageRepository(config, service);

    // 2. The registry must still hold the target under its version, as the ledger recorded it.
    const resolved = await registry.resolve(service.image, to.version);
    const mismatch = checkRegistryDigest(to, service.name, resolved?.digest);
    if (mismatch)
      throw new UserError(
        `Rollback of ${service.name} in ${environment.name} refused: ${mismatch}; nothing was changed`,
      );
    const manifest = await registry.getManifest(service.image, to.digest);
    if (!manifest) throw new UserError(`${image}@${to.digest} is not in the registry; nothing was changed`);

    // The environment's moving tags only; immutable tags ({version}, sha-*) are never touched.
    const values = {
      ...(classifyVersion(to.version) === 'release'
        ? releaseValues(service.name, to.version)
        : { service: service.name, version: to.version }),
      environment: environment.name,
      sha: to.sourceCommit ? `sha-${to.sourceCommit.slice(0, 7)}` : to.version,
    };
    const requests = environment.tags
      .map((template) => {
        const tag = render(template, values);
        return { tag, kind: tagKind(template, tag) };
      })
      .filter((r) => r.kind === 'moving');
    const quarantineEntry: QuarantineEntry | undefined = quarantine
      ? {
          service: service.name,
          version: from.version,
          digest: from.digest,
          at: timestamp(),
          reason,
          by: actor ?? 'unknown',
          ...(context.runUrl ? { runUrl: context.runUrl } : {}),
        }
      : undefined;
    const target: ManifestPromotion = {
      version: to.version,
      image,
      digest: to.digest,
      ...(to.sourceCommit ? { commit: to.sourceCommit } : {}),
      promotedAt: timestamp(),
      ...(actor ? { promotedBy: actor } : {}),
    };
    const message = rollbackMessage({
      service: service.name,
      environment: environment.name,
      version: to.version,
      previousVersion: from.version,
      digest: to.digest,
      image,
      sourceCommit: to.sourceCommit,
      reason,
      actor,
      runUrl: context.runUrl,
    });
    // The whole edit is tried once on the tip read above before anything is written.
    applyRollback({
      text,
      file,
      environment: environment.name,
      service: service.name,
      from,
      target,
      quarantine: quarantineEntry,
    });
    const tagPlan: TagAction[] = await planRetag(registry, service.image, to.digest, requests);

    log.info(
      `Rolling back ${service.name} in ${environment.name}: ${from.version} → ${to.version} (${to.basis}) ${image}@${to.digest}`,
    );
    for (const s of plan.skipped) log.info(`passed over ${s.version}: ${s.why}`);

    // 3. Registry: moving tags back to the target digest.
    if (!dryRun) {
      await retag(registry, service.image, manifest, requests);
      for (const t of tagPlan)
        if (t.action === 'add' || t.action === 'move')
          recordChange(`registry tag ${image}:${t.tag} moved to ${to.digest}`);
    }

    // 4. One commit: the entry restored and the bad version quarantined.
    const update = await updateBranch<{ entryChanged: boolean; quarantineChanged: boolean }>({
      repo,
      branch,
      dryRun,
      log: (line) => log.info(line),
      edit: async (state) => {
        const now = state.tip ? await state.read(manifestPath) : undefined;
        if (now === undefined)
          throw new UserError(`${file} disappeared while this rollback ran; nothing was pushed`);
        const edit = applyRollback({
          text: now,
          file,
          environment: environment.name,
          service: service.name,
          from,
          target,
          quarantine: quarantineEntry,
        });
        const value = { entryChanged: edit.entryChanged, quarantineChanged: edit.quarantineChanged };
        if (!edit.entryChanged && !edit.quarantineChanged) return { value };
        return { files: { [manifestPath]: edit.text }, message, value };
      },
    });
    if (!dryRun && update.changed && update.commit)
      recordChange(`rollback commit ${update.commit.slice(0, 12)} pushed to ${branch}`);
    const commit = !dryRun && update.commit ? update.commit : '';
    if (commit && update.changed && deployments)
      await rollbackDeployments(
        {
          token: getString('token'),
          repository: context.repository,
          apiUrl: process.env.GITHUB_API_URL,
          warn: (m) => log.warning(m, { title: 'GitHub Deployments' }),
        },
        {
          service: service.name,
          environment: environment.name,
          fromDigest: from.digest,
          to: { version: to.version, digest: to.digest, commit: to.sourceCommit },
          logUrl: context.runUrl,
          environmentUrl: environmentUrl(environment, { service: service.name, version: to.version }),
        },
      );
    const didQuarantine = quarantine && (update.value.quarantineChanged || dryRun) ? from.version : '';

    // 5. CodePipeline, after the GitOps rollback (the source of truth) has landed.
    let pipelineLine: string | undefined;
    let pipelineError: string | undefined;
    if (pipelineSpec?.stage !== undefined && commit) {
      const pipeline = renderVerifyTemplate(pipelineSpec.pipeline, {
        service: service.name,
        environment: environment.name,
        version: to.version,
        digest: to.digest,
      });
      const stage = pipelineSpec.stage;
      const revision = to.placedBy.sha;
      try {
        const cp = new CodePipeline();
        const execution = await cp.latestSucceededExecution(pipeline, stage, revision);
        if (!execution)
          throw new UserError(
            `no execution of pipeline ${show(pipeline)} succeeded in stage ${show(stage)} with source revision ${revision} (the commit that deployed ${to.version})`,
          );
        const id = await cp.rollbackStage(pipeline, stage, execution.pipelineExecutionId);
        recordChange(
          `CodePipeline ${pipeline}/${stage} rolled back to execution ${execution.pipelineExecutionId}`,
        );
        pipelineLine = `${pipeline} / ${stage}: rolled back to execution ${execution.pipelineExecutionId} (new execution ${id})`;
      } catch (err) {
        pipelineError = `The GitOps rollback of ${service.name} to ${to.version} in ${environment.name} landed (${commit.slice(0, 12)}), but CodePipeline ${show(pipeline)} stage ${show(stage)} was not rolled back: ${(err as Error).message}`;
        pipelineLine = `not rolled back: ${(err as Error).message}`;
      }
    } else if (pipelineSpec?.stage !== undefined && dryRun) {
      pipelineLine = `would roll back ${pipelineSpec.pipeline} / ${pipelineSpec.stage}`;
    }

    setOutputs({
      rolledBack: true,
      to: to.version,
      from: from.version,
      digest: to.digest,
      commit,
      quarantined: didQuarantine,
    });

    await writeSummary(
      await summary({
        repo,
        config,
        plan,
        dryRun,
        commit,
        tagPlan,
        didQuarantine,
        pipelineLine,
        reason,
        branch,
        context,
        serviceName: service.name,
        environmentName: environment.name,
      }),
    );
    if (pipelineError) throw new UserError(pipelineError);
  } finally {
    await registry.close?.();
    await repo.dispose();
  }
}

async function summary(s: {
  repo: ScratchRepo;
  config: Awaited<ReturnType<typeof loadConfigFile>>;
  plan: Rollback;
  dryRun: boolean;
  commit: string;
  tagPlan: TagAction[];
  didQuarantine: string;
  pipelineLine?: string;
  reason: string;
  branch: string;
  context: ReturnType<typeof readContext>;
  serviceName: string;
  environmentName: string;
}): Promise<string> {
  const { plan, dryRun } = s;
  const { from, to } = plan;
  const urlOf = (sha: string) => commitUrl(s.context, sha);
  const why =
    to.basis === 'to-version'
      ? `to-version given${to.verification ? ` (last verification: ${to.verification.result}, ${to.verification.sha.slice(0, 12)})` : ' (never verified here)'}`
      : to.basis === 'verified'
        ? `newest earlier version verified healthy (${to.verification!.sha.slice(0, 12)}, ${to.verification!.date})`
        : '⚠ taken UNVERIFIED (allow-unverified: true): no earlier version is verified healthy';
  const rows: [string, string | ReturnType<typeof code> | ReturnType<typeof link>][] = [
    ['Service', s.serviceName],
    ['Environment', s.environmentName],
    ['From → to', `${from.version} → ${to.version}`],
    ['Digest', code(to.digest)],
    ['Why this target', why],
    ['Passed over', plan.skipped.map((x) => `${x.version} (${x.why})`).join('; ') || '—'],
    ['Reason', s.reason],
    ['Quarantined', s.didQuarantine ? `${s.didQuarantine} (${from.digest})${dryRun ? ' (would)' : ''}` : '—'],
    [
      'Registry tags',
      s.tagPlan
        .map(
          (t) =>
            `${t.tag} (${t.action === 'present' ? 'already there' : dryRun ? `would ${t.action}` : 'moved'})`,
        )
        .join(', ') || '— (no moving tags)',
    ],
    [
      'Commit',
      s.commit
        ? link(`${s.branch}@${s.commit.slice(0, 12)}`, urlOf(s.commit))
        : dryRun
          ? '(dry run: would commit)'
          : '(already in place)',
    ],
  ];
  if (s.pipelineLine) rows.push(['CodePipeline', s.pipelineLine]);
  return `### ${dryRun ? 'Dry run: ' : ''}rollback ${s.serviceName} in ${s.environmentName}: ${from.version} → ${to.version}\n\n${markdownTable(
    ['', ''],
    rows.map((r) => [...r]),
  )}\n${dryRun ? 'Dry run: nothing was changed.\n' : ''}\n#### What runs where\n\n${await statusSection(
    s.repo,
    s.config,
    { service: s.serviceName, environment: s.environmentName },
    (w) => log.warning(w, { title: 'Status matrix' }),
  )}`;
}
