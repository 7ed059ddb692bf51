import {
  combineVerify,
  lastPlacement,
  instantiateHttpCheck,
  oneLine,
  parseChecksInput,
  parseManifest,
  parseVerifyDuration,
  planHasChecks,
  renderVerificationSummary,
  requireEnvironment,
  requireService,
  show,
  UserError,
  validateDigest,
  validateVersion,
  type VerifySpec,
} from '@sd-actions/core';
import {
  log,
  getBoolean,
  getInteger,
  getString,
  loadConfigFile,
  readContext,
  writeSummary,
} from '@sd-actions/action-kit';
import { parseIdentity, redactUrl, ScratchRepo } from '@sd-actions/git';
import {
  fetchLedgerBranch,
  manifestPathOf,
  readLedger,
  recordVerification,
  resolveRemote,
} from '@sd-actions/gitops';
import { finishVerificationDeployment } from '@sd-actions/github';
import { realClock, runVerification } from '@sd-actions/verify';
import { awsReaders } from './aws-readers.js';

/** One log line per event (action-kit's log neutralises anything that could start a workflow command). */
function say(text: string): void {
  log.info(oneLine(text, 1000));
}

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Everything is validated before anything is measured or written.
  const config = await loadConfigFile(workspace, getString('config') ?? '.github/sd-actions.yml');
  const service = requireService(config, getString('service', { required: true }));
  const environment = requireEnvironment(config, getString('environment', { required: true }));
  const versionInput = getString('version');
  if (versionInput !== undefined) validateVersion(versionInput);
  const digestInput = getString('digest');
  if (digestInput !== undefined) validateDigest(digestInput);
  const timeoutText = getString('timeout') ?? '15m';
  const timeoutMs = parseVerifyDuration(timeoutText);
  if (timeoutMs === undefined || timeoutMs <= 0)
    throw new UserError(`Input "timeout": ${show(timeoutText)} is not a duration; expected e.g. 15m or 90s`);
  const record = getBoolean('record', true);
  const deployments = getBoolean('deployments', true);
  const environmentUrl = getString('environment-url');
  const checksText = getString('checks');
  const input: VerifySpec | undefined = checksText ? await parseChecksInput(checksText) : undefined;
  const plan = combineVerify(environment.verify, service.verify, input);
  if (!planHasChecks(plan))
    throw new UserError(
      `Nothing to verify for ${service.name} in ${environment.name}: add verify checks (http, alarms, codepipeline, command) under environments.${environment.name} or services.${service.name} in ${config.file}, or pass the checks input`,
    );
  const readers = awsReaders(plan, {
    region: getString('aws-region'),
    env: process.env,
    onRetry: ({ operation, attempt, delayMs, reason }) =>
      say(`AWS ${operation}: attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms`),
  });
  const identity = parseIdentity(getString('committer') ?? '', 'committer');
  const attempts = getInteger('push-attempts', 10, 1, 50);
  const remote = await resolveRemote(workspace, getString('remote') ?? 'origin', getString('token'));

  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader, identity });
  try {
    // What runs now: the default version and digest, and the commit that put them in place.
    const branch = environment.branch;
    const manifestPath = manifestPathOf(config, environment.name);
    const tip = await repo.fetchBranch(branch);
    const text = tip ? await repo.readFile(tip, manifestPath) : undefined;
    const entry = text
      ? parseManifest(text, `${branch}:${manifestPath}`).services.get(service.name)
      : undefined;
    const version = versionInput ?? entry?.version;
    if (!version)
      throw new UserError(
        `${service.name} is not deployed in ${environment.name} (${branch}:${manifestPath} has no version for it); pass the version input`,
      );
    const digest = digestInput ?? (entry?.version === version ? entry.digest : undefined);
    // The pipeline's source revision: the environment commit that put this version in place.
    const environmentCommit =
      plan.codepipeline && tip
        ? await placingCommit(repo, branch, environment.name, service.name, manifestPath, version, digest)
        : undefined;
    const subject = { service: service.name, environment: environment.name, version, digest };

    // Header secrets are masked before the first line that could show them.
    const values = { ...subject, digest: digest ?? '' };
    for (const spec of plan.http)
      for (const secret of instantiateHttpCheck(spec, values, process.env).secrets) log.setSecret(secret);

    say(
      `Verifying ${service.name} ${version}${digest ? ` (${digest})` : ''} in ${environment.name} on ${redactUrl(remote.url)}, within ${timeoutText}`,
    );
    const { report } = await runVerification({
      plan,
      subject,
      timeoutMs,
      clock: realClock,
      env: process.env,
      workspace,
      environmentCommit,
      ...readers,
      onEvent: say,
    });

    log.setOutput('result', report.result);
    log.setOutput('healthy', report.healthy ? 'true' : 'false');
    log.setOutput('reason', report.reason);
    log.setOutput('report', JSON.stringify(report));
    log.setOutput('version', version);
    log.setOutput('digest', digest ?? '');

    let recorded = '';
    if (record) {
      const result = await recordVerification({
        repo,
        config,
        environment,
        record: { ...subject, verification: report.result, runUrl: context.runUrl, reason: report.reason },
        attempts,
        log: say,
      });
      if (result.runningVersion !== undefined)
        say(
          `${version} no longer runs in ${environment.name} (now ${result.runningVersion}); the verdict is recorded only`,
        );
      recorded = result.changed
        ? `Recorded as ${result.commit!.slice(0, 12)} on ${branch}.`
        : `Already recorded on ${branch}: the same verdict for the same version; no commit made.`;
      say(recorded);
      log.setOutput('commit', result.changed ? result.commit! : '');
    } else {
      log.setOutput('commit', '');
    }
    if (deployments && digest && report.result !== 'inconclusive')
      await finishVerificationDeployment(
        {
          token: getString('token'),
          repository: context.repository,
          apiUrl: process.env.GITHUB_API_URL,
          warn: (m) => log.warning(m, { title: 'GitHub Deployments' }),
        },
        {
          service: service.name,
          environment: environment.name,
          digest,
          healthy: report.healthy,
          environmentUrl,
          logUrl: context.runUrl,
        },
      );
    await writeSummary(`${renderVerificationSummary(report)}${recorded ? `\n${recorded}\n` : ''}`);
    if (!report.healthy) {
      log.error(`${report.result}: ${report.reason}`, { title: 'sd-actions: verify-deployment' });
      process.exitCode = 1;
    }
  } finally {
    await repo.dispose();
  }
}

/**
 * The environment-branch commit that put `version` (and `digest`, when known) in place: the
 * newest promotion or rollback of it in the ledger (whole history of the branch, filtered by git).
 */
async function placingCommit(
  repo: ScratchRepo,
  branch: string,
  environment: string,
  service: string,
  manifestPath: string,
  version: string,
  digest: string | undefined,
): Promise<string | undefined> {
  const tip = await fetchLedgerBranch(repo, branch);
  if (!tip) return undefined;
  const ledger = await readLedger(repo.git, tip, environment, { service });
  const placed = lastPlacement(ledger, version, digest) ?? lastPlacement(ledger, version);
  if (placed) return placed.sha;
  // No ledger record (a manifest edited by hand): the manifest's history says when the entry became this version.
  const log = await repo.git.exec([
    'log',
    '--format=%H',
    '--max-count=200',
    '--end-of-options',
    tip,
    '--',
    manifestPath,
  ]);
  if (log.code !== 0) return undefined;
  let found: string | undefined;
  for (const sha of log.stdout.toString('utf8').split('\n').filter(Boolean)) {
    const text = await repo.readFile(sha, manifestPath);
    let entry;
    try {
      entry = text ? parseManifest(text, `${sha}:${manifestPath}`).services.get(service) : undefined;
    } catch {
      entry = undefined;
    }
    if (entry?.version !== version || (digest !== undefined && entry.digest !== digest)) break;
    found = sha;
  }
  return found;
}
