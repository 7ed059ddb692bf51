/**
 * The whole release, rehearsed locally: a sample monorepo with a bare origin and the embedded
 * oci-layout registry, driven through the real bundled actions exactly as the runner would run
 * the reusable workflows (.github/workflows/release-dev.yml, promote.yml, hotfix.yml).
 *
 *   push to main → detect → build once per changed service → dev
 *   promote blue 1.6.0 and green 1.4.0 to staging, then to production (2 approvals each, asked
 *   by await-approval, counted again by promote, on a loopback GitHub API)
 *   a change to red only → only red rebuilds → dev → staging (version: auto)
 *   a fix on main for blue → hotfix onto release/blue-1.6 → 1.6.1 → built once → staging
 *   every promotion to staging and production verified (verify-deployment against loopback health
 *   endpoints, as promote.yml's verify job); a red release turns unhealthy → rollback-service to the
 *   last verified version (promote.yml's rollback job) → quarantined → promoting it again refused;
 *   the notify bundle's messages to loopback Slack/Teams receivers printed
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  commit,
  git,
  originAndClone,
  ROOT,
  runAction,
  startGitHubFake,
  startWebhookReceiver,
  type ActionRun,
  type GitHubFake,
  type RunOptions,
  type WebhookReceiver,
} from '@sd-actions/testkit';
import { statusText, readStatus } from '@sd-actions/cli';
import type { Deployed } from '@sd-actions/gitops';
import { startHealthEndpoints, type HealthEndpoints } from './health.js';
import { compactMessages, fit, wrap } from './messages.js';
import { sampleFiles } from './sample.js';

export interface RehearsalResult {
  root: string;
  origin: string;
  work: string;
  /** Digest built per service and source commit: what production must run, byte for byte. */
  built: Map<string, string>;
  deployed: Deployed;
  seconds: number;
}

type Log = (line: string) => void;

/** The build command a workflow would pass to build-once-tag: here, a tiny real image builder. */
const BUILD_COMMAND = 'node --import "$SD_DEMO_TSX" "$SD_DEMO_BUILDER"';
const BUILD_ENV = {
  SD_DEMO_TSX: pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href,
  SD_DEMO_BUILDER: join(ROOT, 'packages', 'testkit', 'src', 'bin', 'build-sample-image.ts'),
  SOURCE_DATE_EPOCH: '1767225600',
};

export async function rehearse(options: { dir: string; log?: Log }): Promise<RehearsalResult> {
  const started = Date.now();
  const log: Log = options.log ?? (() => undefined);
  const root = resolve(options.dir);
  mkdirSync(root, { recursive: true });
  const { origin, work } = originAndClone(root);
  const built = new Map<string, string>();
  // The GitHub API the approval gate talks to: a loopback fake (the runner emulation's repository,
  // run 1234 started by bob, who promotes to production and so cannot approve it).
  const gh = await startGitHubFake();
  gh.addToken(DEMO_TOKEN, 'sd-bot');
  gh.addRepo(REPOSITORY, { collaborators: { alice: 'write', bob: 'write', carol: 'write', dave: 'write' } });
  gh.addRun(REPOSITORY, { id: 1234, actor: 'bob' });
  // The services' health endpoints (what the manifests say runs, UP or DOWN) and the Slack/Teams
  // webhooks the notify bundle posts to: real HTTP servers on loopback.
  const health = await startHealthEndpoints({
    origin,
    branches: {
      dev: 'gitops/dev-auto-update',
      staging: 'gitops/staging-releases',
      production: 'gitops/production-releases',
    },
    manifests: 'release-manifests/{environment}.yaml',
  });
  const hooks = await startWebhookReceiver();
  try {
    return await rehearseWith({ started, log, root, origin, work, built, gh, health, hooks });
  } finally {
    await Promise.all([gh.stop(), health.stop(), hooks.stop()]);
  }
}

const DEMO_TOKEN = 'demo-token';
const REPOSITORY = 'acme/monorepo'; // the runner emulation's GITHUB_REPOSITORY

async function rehearseWith(ctx: {
  started: number;
  log: Log;
  root: string;
  origin: string;
  work: string;
  built: Map<string, string>;
  gh: GitHubFake;
  health: HealthEndpoints;
  hooks: WebhookReceiver;
}): Promise<RehearsalResult> {
  const { started, log, root, origin, work, built, gh, health, hooks } = ctx;

  /** One action run in the runner checkout, as `actor`; a failure stops the rehearsal. */
  async function step(
    name: string,
    actor: string,
    options: Omit<RunOptions, 'workspace'>,
  ): Promise<ActionRun> {
    const run = await runAction(name, {
      workspace: work,
      githubToken: DEMO_TOKEN,
      ...options,
      env: { GITHUB_ACTOR: actor, GITHUB_API_URL: gh.url, ...BUILD_ENV, ...options.env },
    });
    if (run.code !== 0) {
      log(run.stdout);
      log(run.stderr);
      throw new Error(`${name} failed (exit ${run.code})`);
    }
    for (const a of run.annotations) log(`   ${a.level}: ${a.message}`);
    return run;
  }

  /**
   * promote.yml's verify job: verify-deployment with the config's checks (the loopback health
   * endpoints), the verdict recorded on the environment branch. Exits 1 unless healthy; the result
   * decides what follows. Returns the run; logs one line (and the reason when not healthy).
   */
  async function verify(
    service: string,
    environment: string,
    version?: string,
    digest?: string,
    print: Log = log,
  ): Promise<ActionRun> {
    const run = await runAction('verify-deployment', {
      workspace: work,
      githubToken: DEMO_TOKEN,
      inputs: {
        service,
        environment,
        timeout: '2m',
        ...(version ? { version } : {}),
        ...(digest ? { digest } : {}),
      },
      env: { GITHUB_ACTOR: 'github-actions', GITHUB_API_URL: gh.url },
    });
    const result = run.outputs.result;
    if (!result || (run.code !== 0) !== (result !== 'healthy')) {
      print(run.stdout);
      print(run.stderr);
      throw new Error(`verify-deployment failed (exit ${run.code}) without a verdict`);
    }
    const mark = result === 'healthy' ? '✓' : '✗';
    print(`verify-deployment: ${service} ${run.outputs.version} in ${environment} ${mark} ${result}`);
    if (result !== 'healthy') print(fit(`   ${run.outputs.reason}`));
    return run;
  }

  /** Several services verified at once (separate workflow runs); their lines in the given order. */
  async function verifyAll(services: string[], environment: string): Promise<void> {
    const printed = services.map(() => [] as string[]);
    await Promise.all(
      services.map((service, i) =>
        verify(service, environment, undefined, undefined, (l) => printed[i]!.push(l)),
      ),
    );
    for (const line of printed.flat()) log(line);
  }

  /** The notify bundle (promote.yml's report job, rollback.yml's notify job); prints what it sent. */
  async function notify(event: string, inputs: Record<string, string>): Promise<void> {
    const before = hooks.requests.length;
    const run = await step('notify', 'github-actions', {
      inputs: {
        event,
        ...inputs,
        'slack-webhook-url': hooks.url('/slack'),
        'teams-webhook-url': hooks.url('/teams'),
      },
    });
    const list = (names: string | undefined) => (names ?? '').split(',').filter(Boolean).join(', ');
    const sent = list(run.outputs.sent) || 'nobody';
    const skipped = run.outputs.skipped ? `; ${list(run.outputs.skipped)} skips it (events filter)` : '';
    log(`notify ${event}: sent to ${sent}${skipped}`);
    for (const line of compactMessages(hooks.requests.slice(before))) log(line);
  }

  // The table fits a 120-column terminal: cells drop detail when they must.
  const printStatus = async () => log(`\n${await statusText({ repo: work, maxWidth: 120 })}`);

  /** release-dev.yml: detect → build once per changed service (a matrix) → promote to dev. */
  async function releaseDev(before: string, after: string): Promise<string[]> {
    git(work, 'checkout', '-q', '--detach', after);
    const detected = await step('detect-changed-service', 'github-actions', {
      event: 'push',
      sha: after,
      ref: 'refs/heads/main',
      payload: { before, after, ref: 'refs/heads/main', repository: { default_branch: 'main' } },
    });
    const services = JSON.parse(detected.outputs.services ?? '[]') as string[];
    log(
      `detect: ${services.length ? services.join(', ') : 'nothing'} changed (${detected.outputs['base-source']})`,
    );
    await Promise.all(
      services.map(async (service) => {
        const build = await step('build-once-tag', 'github-actions', {
          sha: after,
          inputs: { service, 'build-command': BUILD_COMMAND },
        });
        built.set(`${service}@${after}`, build.outputs.digest!);
        log(
          `build-once-tag: ${service} ${build.outputs.built === 'true' ? 'built' : 'reused'} ${build.outputs.tag} → ${build.outputs.digest}`,
        );
        const promoted = await step('promote', 'github-actions', {
          actionDir: 'promote',
          sha: after,
          inputs: { service, to: 'dev', digest: build.outputs.digest!, 'source-commit': after },
        });
        log(`promote: ${service} ${promoted.outputs.version} → dev`);
      }),
    );
    return services;
  }

  async function promote(
    service: string,
    to: string,
    actor: string,
    version?: string,
    approval?: string,
  ): Promise<ActionRun> {
    const run = await step('promote', actor, {
      actionDir: 'promote',
      event: 'workflow_dispatch',
      inputs: { service, to, ...(version ? { version } : {}), ...(approval ? { approval } : {}) },
    });
    log(
      `promote: ${service} ${run.outputs.version} ${run.outputs.from} → ${to} by ${actor}${run.outputs.tag ? ` (tag ${run.outputs.tag})` : ''}`,
    );
    return run;
  }

  function pushMain(
    message: string,
    files: Record<string, string | null>,
  ): { before: string; after: string } {
    git(work, 'checkout', '-q', 'main');
    const before = git(work, 'rev-parse', 'HEAD');
    const after = commit(work, message, files);
    git(work, 'push', '-q', 'origin', 'main');
    return { before, after };
  }

  log(`━━ 1. First push to main: every service is detected, built once and released to dev`);
  git(work, 'checkout', '-q', '-b', 'main');
  const first = commit(work, 'chore: sample monorepo', sampleFiles(health.base));
  git(work, 'push', '-q', '-u', 'origin', 'main');
  await releaseDev('0'.repeat(40), first);
  await printStatus();

  log(
    `\n━━ 2. Promote blue 1.6.0 and green 1.4.0 to staging (the "Promote to staging" button), each verified`,
  );
  await promote('blue', 'staging', 'alice', '1.6.0');
  await promote('green', 'staging', 'alice', '1.4.0');
  await verifyAll(['blue', 'green'], 'staging');
  await printStatus();

  log(`\n━━ 2b. The policy at work: green 1.3.0 to staging, which runs 1.4.0, is refused`);
  const refused = await runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    event: 'workflow_dispatch',
    inputs: { service: 'green', to: 'staging', version: '1.3.0' },
    env: { GITHUB_ACTOR: 'mallory', ...BUILD_ENV },
  });
  const why = refused.annotations.find((a) => a.level === 'error')?.message ?? '';
  if (refused.code === 0 || !why.includes('[no-downgrade]'))
    throw new Error(`the downgrade was not refused (exit ${refused.code}): ${refused.stdout}`);
  log(`refused: ${why.replace(/: \[/, ':\n  [')}`);

  /** await-approval opens the request (asked by bob); two people answer it in the issue. */
  async function approve(service: string, approvers: string[]): Promise<string> {
    const asked = await step('await-approval', 'bob', {
      event: 'workflow_dispatch',
      inputs: { service, environment: 'production', wait: 'false' },
    });
    const number = asked.outputs['issue-number']!;
    for (const login of approvers) gh.addComment(REPOSITORY, Number(number), login, 'approve');
    log(
      `await-approval: request #${number} "Approve ${service} … for production" (${asked.outputs.status}); ${approvers.join(' and ')} comment "approve"`,
    );
    return number;
  }

  log(
    `\n━━ 3. Promote both to production: 2 approvals each (not bob's, who asks); the 24h soak is a warning in this sample`,
  );
  await promote('blue', 'production', 'bob', undefined, await approve('blue', ['alice', 'carol']));
  await promote('green', 'production', 'bob', undefined, await approve('green', ['carol', 'dave']));
  await verifyAll(['blue', 'green'], 'production');
  await printStatus();

  log(`\n━━ 4. A change to red only: only red rebuilds, goes to dev, then staging with version: auto`);
  const change = pushMain('feat(red): recommendations', {
    'projects/red/server.js': "export const name = 'red'; // recommendations\n",
  });
  await releaseDev(change.before, change.after);
  await promote('red', 'staging', 'carol', 'auto');
  await verify('red', 'staging');
  await printStatus();

  log(
    `\n━━ 5. Hotfix: a fix for blue on main → cherry-picked onto release/blue-1.6 as 1.6.1, built once, to staging`,
  );
  const fix = pushMain('fix(blue): reject negative amounts', {
    'projects/blue/server.js': "export const name = 'blue'; // amounts >= 0\n",
  });
  await releaseDev(fix.before, fix.after);
  const hot = await step('hotfix', 'dave', {
    event: 'workflow_dispatch',
    inputs: { service: 'blue', commits: fix.after.slice(0, 7) },
  });
  log(
    `hotfix: ${hot.outputs['release-branch']} ${hot.outputs['base-version']} → ${hot.outputs.version} at ${hot.outputs.commit!.slice(0, 12)} (tag ${hot.outputs.tag})`,
  );
  git(work, 'fetch', '-q', 'origin');
  git(work, 'checkout', '-q', '--detach', hot.outputs.commit!);
  const hotBuild = await step('build-once-tag', 'dave', {
    sha: hot.outputs.commit!,
    inputs: { service: 'blue', 'build-command': BUILD_COMMAND },
  });
  built.set(`blue@${hot.outputs.commit}`, hotBuild.outputs.digest!);
  log(
    `build-once-tag: blue built ${hotBuild.outputs.tag} from the release branch → ${hotBuild.outputs.digest!.slice(0, 19)}…`,
  );
  const hotPromote = await step('promote', 'dave', {
    actionDir: 'promote',
    event: 'workflow_dispatch',
    inputs: {
      service: 'blue',
      to: 'staging',
      version: hot.outputs.version!,
      digest: hotBuild.outputs.digest!,
      'source-commit': hot.outputs.commit!,
    },
  });
  log(`promote: blue ${hotPromote.outputs.version} build → staging by dave`);
  await verify('blue', 'staging');
  git(work, 'checkout', '-q', 'main');
  await printStatus();

  log(
    `\n━━ 6. The loop closes: a red release turns unhealthy in staging → verification fails → automatic rollback`,
  );
  const redChange = pushMain('feat(red): cache recommendations', {
    'projects/red/server.js': "export const name = 'red'; // recommendations, cached\n",
  });
  await releaseDev(redChange.before, redChange.after);
  const bad = await promote('red', 'staging', 'carol', 'auto');
  const badVersion = bad.outputs.version!;
  health.breaks('red', badVersion);
  log(`health: red ${badVersion} starts answering {"status":"DOWN"} on ${health.base}/staging/red/health`);
  const verdict = await verify('red', 'staging', badVersion, bad.outputs.digest);
  if (verdict.outputs.result !== 'unhealthy') throw new Error(`red ${badVersion} was not found unhealthy`);
  const reason = `verification failed: ${verdict.outputs.reason}`;
  const facts = {
    service: 'red',
    environment: 'staging',
    digest: bad.outputs.digest!,
    commit: redChange.after,
    actor: 'carol',
  };
  // promote.yml's report job (verification-failed) and, on unhealthy only, its rollback job (rollback.yml).
  await notify('verification-failed', {
    ...facts,
    'from-version': bad.outputs['previous-version'] ?? '',
    'to-version': badVersion,
    reason: `unhealthy: ${verdict.outputs.reason}`,
  });
  const rb = await step('rollback-service', 'github-actions', {
    inputs: { service: 'red', environment: 'staging', 'from-version': badVersion, reason },
  });
  const back = rb.outputs['rolled-back-to']!;
  log(
    `rollback-service: red ${rb.outputs['rolled-back-from']} → ${back} in staging, the last version verified healthy` +
      ` (commit ${rb.outputs.commit!.slice(0, 12)})`,
  );
  log(`   quarantined in staging: red ${rb.outputs.quarantined}`);
  const again = await verify('red', 'staging', back, rb.outputs.digest);
  await notify('rolled-back', {
    ...facts,
    digest: rb.outputs.digest!,
    commit: rb.outputs.commit!,
    actor: 'github-actions',
    'from-version': badVersion,
    'to-version': back,
    reason: `${reason}; the version rolled back to is ${again.outputs.result}`,
  });

  // What GitHub shows: each deployment's statuses, its environment_url from the config's environments.staging.url.
  for (const d of gh.repos.get(REPOSITORY)?.deployments ?? []) {
    const p = (typeof d.payload === 'object' ? d.payload : {}) as { service?: string; version?: string };
    if (d.environment !== 'staging' || p.service !== 'red') continue;
    const url = [...d.statuses].reverse().find((st) => st.environmentUrl)?.environmentUrl;
    log(
      fit(
        `GitHub Deployment #${d.id} red ${p.version}: ${d.statuses.map((st) => st.state).join(' → ')}${url ? ` (${url})` : ''}`,
      ),
    );
  }

  log(`\n━━ 6b. Promoting red ${badVersion} to staging again is refused: it is quarantined there`);
  const retry = await runAction('promote', {
    actionDir: 'promote',
    workspace: work,
    event: 'workflow_dispatch',
    githubToken: DEMO_TOKEN,
    inputs: { service: 'red', to: 'staging', version: badVersion },
    env: { GITHUB_ACTOR: 'carol', GITHUB_API_URL: gh.url, ...BUILD_ENV },
  });
  const quarantine = retry.annotations.find((a) => a.level === 'error')?.message ?? '';
  if (retry.code === 0 || !quarantine.includes('[quarantine]'))
    throw new Error(`the quarantined version was not refused (exit ${retry.code}): ${retry.stdout}`);
  for (const line of wrap(`refused: ${quarantine.replace(/: \[/, ':\n  [')}`, 120, '    ')) log(line);
  await printStatus();

  const { deployed } = await readStatus({ repo: work });
  return { root, origin, work, built, deployed, seconds: (Date.now() - started) / 1000 };
}
