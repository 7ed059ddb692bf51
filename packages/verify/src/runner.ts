/**
 * Run a verification plan: wait for the rollout, measure every check on the plan's interval,
 * judge with the core rules, bound everything by the overall timeout. The clock is injected
 * (virtual in tests); AWS is reached through the AlarmReader and PipelineReader interfaces, so
 * the adapters of packages/aws plug in. Nothing is written to the runner here: progress goes to
 * `onEvent`, the verdict is the returned report.
 */
import {
  alarmMeasurement,
  instantiateHttpCheck,
  judgeCounters,
  oneLine,
  pipelineOutcome,
  redact,
  renderVerifyTemplate,
  verificationReport,
  type AlarmReading,
  type CheckReport,
  type CounterLimits,
  type HttpCheck,
  type Measurement,
  type VerificationReport,
  type VerificationSubject,
  type VerifyPlan,
  type VerifyValues,
} from '@sd-actions/core';
import { realClock, type VerifyClock } from './clock.js';
import { bashCommandRunner, type CommandRunner } from './command.js';
import { httpGet, isExpectedVersion, judgeAnswer } from './http-probe.js';

/** CloudWatch DescribeAlarms (metric and composite alarms); names that do not exist are left out. */
export interface AlarmReader {
  readAlarms(names: readonly string[]): Promise<AlarmReading[]>;
}

export interface PipelineExecution {
  id: string;
  /** CodePipeline's status: InProgress, Stopping, Stopped, Succeeded, Superseded, Failed, Cancelled. */
  status: string;
}

/** CodePipeline: the execution whose source revision is the given commit (undefined: none yet). */
export interface PipelineReader {
  findExecution(query: {
    pipeline: string;
    sourceRevision: string;
    stage?: string;
  }): Promise<PipelineExecution | undefined>;
}

export interface RunVerificationOptions {
  plan: VerifyPlan;
  subject: VerificationSubject;
  /** The overall bound, ms. */
  timeoutMs: number;
  /** Where `${VAR}` header values come from (default: process.env). */
  env?: Record<string, string | undefined>;
  clock?: VerifyClock;
  alarms?: AlarmReader;
  pipelines?: PipelineReader;
  /** The environment-branch commit that put this version in place (the pipeline's source revision). */
  environmentCommit?: string;
  /** The command's working directory (default: the current one). */
  workspace?: string;
  runCommand?: CommandRunner;
  /** One line per measurement and decision, for the log. */
  onEvent?: (text: string) => void;
}

export interface VerificationRun {
  report: VerificationReport;
  /** Values to mask in the log (resolved `${VAR}` headers). */
  secrets: string[];
}

/** 600000 → "10m", 90000 → "90s", 500 → "500ms". */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function httpName(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

interface Running {
  report: CheckReport;
  finished: boolean;
  limits?: CounterLimits;
}

export async function runVerification(o: RunVerificationOptions): Promise<VerificationRun> {
  const clock = o.clock ?? realClock;
  const plan = o.plan;
  const env = o.env ?? process.env;
  const values: VerifyValues = {
    service: o.subject.service,
    environment: o.subject.environment,
    version: o.subject.version,
    digest: o.subject.digest ?? '',
  };
  const expected = { version: o.subject.version, digest: o.subject.digest };
  const event = (text: string) => o.onEvent?.(text);

  // Everything that can be wrong with the inputs fails here, before the first measurement.
  const http = plan.http.map((spec) => instantiateHttpCheck(spec, values, env));
  const secrets = http.flatMap((h) => h.secrets);
  const alarmNames = {
    critical: plan.alarms.critical.map((n) => renderVerifyTemplate(n, values)),
    warning: plan.alarms.warning.map((n) => renderVerifyTemplate(n, values)),
    insufficientData: plan.alarms.insufficientData,
  };
  const hasAlarms = alarmNames.critical.length + alarmNames.warning.length > 0;
  if (hasAlarms && !o.alarms) throw new Error('verify: alarms are configured but no AlarmReader was given');
  if (plan.codepipeline && !o.pipelines)
    throw new Error('verify: codepipeline is configured but no PipelineReader was given');

  const startedMs = clock.now();
  const deadline = clock.signalAt(startedMs + o.timeoutMs);
  const iso = () => new Date(clock.now()).toISOString();
  const interval = plan.intervalMs;
  const counterLimits: CounterLimits = {
    count: plan.count,
    failureLimit: plan.failureLimit,
    consecutiveErrorLimit: plan.consecutiveErrorLimit,
  };
  const limitsText = `count ${plan.count}, failureLimit ${plan.failureLimit}, consecutiveErrorLimit ${plan.consecutiveErrorLimit}, interval ${formatDuration(interval)}`;

  const make = (
    report: Omit<CheckReport, 'measurements' | 'outcome' | 'reason'>,
    limits?: CounterLimits,
  ) => ({
    report: { ...report, measurements: [], outcome: 'skipped' as const, reason: 'not run' },
    finished: false,
    limits,
  });
  const httpRuns: { check: HttpCheck; run: Running }[] = http.map(({ check }) => ({
    check,
    run: make(
      {
        kind: 'http',
        name: `http ${httpName(check.url)}`,
        target: check.url,
        limits: check.version
          ? `${limitsText}, rolloutTimeout ${formatDuration(plan.rolloutTimeoutMs)}`
          : limitsText,
      },
      counterLimits,
    ),
  }));
  const alarmRun = hasAlarms
    ? make(
        {
          kind: 'alarms',
          name: `alarms ${[...alarmNames.critical, ...alarmNames.warning].join(', ')}`,
          target: [
            alarmNames.critical.length ? `critical: ${alarmNames.critical.join(', ')}` : '',
            alarmNames.warning.length ? `warning: ${alarmNames.warning.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
          limits: `${limitsText}, insufficientData ${alarmNames.insufficientData}`,
        },
        counterLimits,
      )
    : undefined;
  const pipelineName = plan.codepipeline ? renderVerifyTemplate(plan.codepipeline.pipeline, values) : '';
  const pipelineRun = plan.codepipeline
    ? make({
        kind: 'codepipeline',
        name: `codepipeline ${pipelineName}`,
        target: pipelineName + (plan.codepipeline.stage ? ` (stage ${plan.codepipeline.stage})` : ''),
        limits: `find within ${formatDuration(plan.rolloutTimeoutMs)}`,
      })
    : undefined;
  const commandRuns = plan.commands.map((command) => ({
    command,
    run: make({
      kind: 'command',
      name: `command ${oneLine(command, 60)}`,
      target: command,
      limits: `attempts ${plan.attempts}`,
    }),
  }));
  const all: Running[] = [
    ...httpRuns.map((h) => h.run),
    ...(alarmRun ? [alarmRun] : []),
    ...(pipelineRun ? [pipelineRun] : []),
    ...commandRuns.map((c) => c.run),
  ];

  const finish = (run: Running, outcome: CheckReport['outcome'], reason: string) => {
    run.finished = true;
    run.report.outcome = outcome;
    run.report.reason = redact(oneLine(reason), secrets);
    event(`${run.report.name}: ${outcome}: ${run.report.reason}`);
  };
  const record = (run: Running, m: Measurement) => {
    run.report.measurements.push(m);
    const phase = m.phase === 'rollout' ? ' (rollout)' : '';
    event(`${run.report.name}${phase}: ${m.kind}: ${m.detail}`);
  };
  const stopped = () => deadline.signal.aborted;

  /** Measure until the counter rules decide. */
  const counterLoop = async (
    run: Running,
    measure: () => Promise<Omit<Measurement, 'at'>>,
    skipFirstWait: boolean,
  ) => {
    let first = skipFirstWait;
    for (;;) {
      const judged = judgeCounters(run.report.measurements, run.limits!);
      if (judged.done) return finish(run, judged.outcome, judged.fact);
      if (!first) await clock.sleep(interval, deadline.signal);
      first = false;
      if (stopped()) return;
      const at = iso();
      const m = await measure();
      if (stopped()) return;
      record(run, { at, ...m });
    }
  };

  const httpMeasure = (check: HttpCheck) => async () => {
    const answer = await httpGet(check, deadline.signal);
    return judgeAnswer(check, answer, expected, secrets).measurement;
  };

  const waitRollout = async ({ check, run }: { check: HttpCheck; run: Running }): Promise<boolean> => {
    if (!check.version) return true;
    const until = clock.now() + plan.rolloutTimeoutMs;
    let last: string | undefined;
    let lastDetail = '';
    for (;;) {
      if (stopped()) return false;
      const at = iso();
      const answer = await httpGet(check, deadline.signal);
      if (stopped()) return false;
      const judged = judgeAnswer(check, answer, expected, secrets);
      if (isExpectedVersion(judged.reported, expected.version, expected.digest)) {
        run.report.rollout = { seen: true, reported: judged.reported };
        event(`${run.report.name}: the rollout is seen (${judged.reported})`);
        record(run, { at, ...judged.measurement });
        return true;
      }
      if (judged.reported !== undefined) last = judged.reported;
      lastDetail = judged.reported !== undefined ? `reports ${judged.reported}` : judged.measurement.detail;
      record(run, { at, ...judged.measurement, detail: lastDetail, phase: 'rollout' });
      if (clock.now() >= until) {
        run.report.rollout = { seen: false, reported: last };
        finish(
          run,
          'unhealthy',
          last !== undefined
            ? `never reported ${expected.version} within the rolloutTimeout of ${formatDuration(plan.rolloutTimeoutMs)}; still reports ${last}`
            : `never reported ${expected.version} within the rolloutTimeout of ${formatDuration(plan.rolloutTimeoutMs)}: ${lastDetail}`,
        );
        return false;
      }
      await clock.sleep(Math.min(interval, until - clock.now()), deadline.signal);
    }
  };

  const alarmMeasure = async (): Promise<Omit<Measurement, 'at'>> => {
    const names = [...alarmNames.critical, ...alarmNames.warning];
    try {
      const readings = await o.alarms!.readAlarms(names);
      const { at: _at, ...m } = alarmMeasurement(readings, alarmNames, '');
      return m;
    } catch (err) {
      // Fail closed, as CodeDeploy does: an alarm state that cannot be read is not a pass.
      return {
        kind: 'error',
        detail: oneLine(`could not read the alarms: ${(err as Error)?.message ?? String(err)}`),
        decisive: 'unhealthy',
      };
    }
  };

  const runPipeline = async (run: Running) => {
    const spec = plan.codepipeline!;
    if (!o.environmentCommit)
      return finish(
        run,
        'unhealthy',
        'the environment commit that put this version in place is not known, so no pipeline execution can be matched',
      );
    const until = clock.now() + plan.rolloutTimeoutMs;
    const revision = o.environmentCommit;
    let seen: PipelineExecution | undefined;
    for (;;) {
      if (stopped()) return;
      const at = iso();
      let execution: PipelineExecution | undefined;
      try {
        execution = await o.pipelines!.findExecution({
          pipeline: pipelineName,
          sourceRevision: revision,
          ...(spec.stage ? { stage: spec.stage } : {}),
        });
      } catch (err) {
        record(run, {
          at,
          kind: 'error',
          detail: oneLine(
            `could not read pipeline ${pipelineName}: ${(err as Error)?.message ?? String(err)}`,
          ),
          decisive: 'unhealthy',
        });
        return finish(run, 'unhealthy', run.report.measurements.at(-1)!.detail);
      }
      if (stopped()) return;
      if (execution) {
        seen = execution;
        const outcome = pipelineOutcome(execution.status);
        if (outcome) {
          record(run, {
            at,
            kind: outcome === 'healthy' ? 'success' : 'failure',
            detail: `execution ${execution.id} ${execution.status}`,
          });
          return finish(
            run,
            outcome,
            `execution ${execution.id} for ${revision.slice(0, 12)} ${execution.status}`,
          );
        }
        record(run, {
          at,
          kind: 'success',
          detail: `execution ${execution.id} ${execution.status}`,
          phase: 'rollout',
        });
      } else {
        record(run, {
          at,
          kind: 'error',
          detail: `no execution for ${revision.slice(0, 12)} yet`,
          phase: 'rollout',
        });
        if (clock.now() >= until)
          return finish(
            run,
            'unhealthy',
            `no execution of ${pipelineName} for ${revision.slice(0, 12)} within ${formatDuration(plan.rolloutTimeoutMs)}`,
          );
      }
      await clock.sleep(
        seen ? interval : Math.min(interval, Math.max(0, until - clock.now())),
        deadline.signal,
      );
    }
  };

  const runCommand = async ({ command, run }: { command: string; run: Running }) => {
    const runner = o.runCommand ?? bashCommandRunner;
    const commandEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) commandEnv[k] = v;
    Object.assign(commandEnv, {
      SD_SERVICE: values.service,
      SD_ENVIRONMENT: values.environment,
      SD_VERSION: values.version,
      SD_DIGEST: values.digest,
    });
    for (let attempt = 1; attempt <= plan.attempts; attempt++) {
      if (attempt > 1) await clock.sleep(interval, deadline.signal);
      if (stopped()) return;
      const at = iso();
      const started = performance.now();
      const result = await runner(command, {
        cwd: o.workspace ?? process.cwd(),
        env: commandEnv,
        timeoutMs: Math.max(1000, startedMs + o.timeoutMs - clock.now()),
      });
      const lines = result.lines.map((l) => redact(l, secrets));
      run.report.output = lines;
      const lastLine = lines.filter((l) => l.trim() !== '').at(-1);
      const detail = oneLine(
        `${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}${lastLine ? `: ${lastLine}` : ''}`,
      );
      record(run, {
        at,
        kind: result.exitCode === 0 ? 'success' : 'failure',
        detail,
        durationMs: Math.round(performance.now() - started),
      });
      if (result.exitCode === 0)
        return finish(run, 'healthy', `exit 0 on attempt ${attempt} of ${plan.attempts}`);
    }
    const last = run.report.measurements.at(-1)?.detail ?? '';
    finish(run, 'unhealthy', `failed ${plan.attempts} of ${plan.attempts} attempts; last: ${last}`);
  };

  try {
    const pipelineTask = pipelineRun ? runPipeline(pipelineRun) : Promise.resolve();
    const rollouts = await Promise.all(httpRuns.map((h) => waitRollout(h)));
    if (rollouts.every(Boolean)) {
      await Promise.all([
        ...httpRuns.map((h) => counterLoop(h.run, httpMeasure(h.check), h.check.version === undefined)),
        ...(alarmRun ? [counterLoop(alarmRun, alarmMeasure, true)] : []),
        ...commandRuns.map((c) => runCommand(c)),
      ]);
    } else if (!stopped()) {
      for (const run of all)
        if (!run.finished && run !== pipelineRun) finish(run, 'skipped', 'the rollout was not seen');
    }
    await pipelineTask;
  } finally {
    deadline.dispose();
  }
  for (const run of all) {
    if (run.finished) continue;
    const sofar = run.limits
      ? judgeCounters(run.report.measurements, run.limits).fact
      : `${run.report.measurements.length} measurements`;
    const rollout =
      run.report.rollout === undefined && run.report.kind === 'http' && run.report.measurements.length > 0
        ? 'waiting for the rollout; '
        : '';
    finish(
      run,
      'unhealthy',
      `ended by the overall timeout of ${formatDuration(o.timeoutMs)}: ${rollout}${sofar}`,
    );
  }
  const report = verificationReport(
    o.subject,
    all.map((r) => r.report),
    { startedAt: new Date(startedMs).toISOString(), finishedAt: iso() },
  );
  return { report, secrets };
}
