import { environmentUrl, instantiateHttpCheck, renderVerificationSummary } from '@sd-actions/core';
import { log, getString, readContext, writeSummary, deploymentsAccess } from '@sd-actions/action-kit';
import { redactUrl, ScratchRepo } from '@sd-actions/git';
import { finishVerificationDeployment } from '@sd-actions/github';
import { realClock, runVerification } from '@sd-actions/verify';
import { readInputs } from './inputs.js';
import { recordVerdict } from './record.js';
import { say } from './say.js';
import { resolveSubject } from './subject.js';

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;

  // Everything is validated before anything is measured or written.
  const inputs = await readInputs(workspace);
  const { service, environment, timeoutText, timeoutMs, plan, readers, identity, remote } = inputs;

  const repo = await ScratchRepo.open({ url: remote.url, authHeader: remote.authHeader, identity });
  try {
    // What runs now: the default version and digest, and the commit that put them in place.
    const { subject, environmentCommit } = await resolveSubject(repo, inputs);
    const { version, digest } = subject;

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
    if (inputs.record) {
      const result = await recordVerdict({
        repo,
        inputs,
        subject,
        verification: report.result,
        reason: report.reason,
        runUrl: context.runUrl,
      });
      recorded = result.recorded;
      log.setOutput('commit', result.commit);
    } else {
      log.setOutput('commit', '');
    }
    if (inputs.deployments && digest && report.result !== 'inconclusive')
      await finishVerificationDeployment(deploymentsAccess(context.repository), {
        service: service.name,
        environment: environment.name,
        digest,
        healthy: report.healthy,
        environmentUrl:
          inputs.environmentUrl ?? environmentUrl(environment, { service: service.name, version }),
        logUrl: context.runUrl,
      });
    await writeSummary(`${renderVerificationSummary(report)}${recorded ? `\n${recorded}\n` : ''}`);
    if (!report.healthy) {
      log.error(`${report.result}: ${report.reason}`, { title: 'sd-actions: verify-deployment' });
      process.exitCode = 1;
    }
  } finally {
    await repo.dispose();
  }
}
