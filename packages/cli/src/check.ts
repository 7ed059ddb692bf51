/**
 * sd-actions check: the caller workflows agree with the config — every `service` choice list names
 * exactly the config's services, every environment they promote into exists, and every sd-actions
 * reference pins one ref (the one given with --ref, when given). For the user's CI.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Config } from '@sd-actions/core';

const REFERENCE = /^([A-Za-z0-9-]+)\/sd-actions\/(.+)@(.+)$/;

interface Job {
  uses?: string;
  with?: Record<string, unknown>;
  steps?: Array<{ uses?: string; with?: Record<string, unknown> }>;
}
interface Workflow {
  on?: unknown;
  jobs?: Record<string, Job>;
}

export interface CheckResult {
  callers: string[];
  refs: string[];
  problems: string[];
}

const literal = (v: unknown): string | undefined =>
  typeof v === 'string' && !v.includes('${{') ? v : undefined;

export function checkCallers(repo: string, config: Config, options: { ref?: string } = {}): CheckResult {
  const dir = join(resolve(repo), '.github', 'workflows');
  const services = [...config.services.keys()];
  const environments = [...config.environments.keys()];
  const problems: string[] = [];
  const callers: string[] = [];
  const refs = new Map<string, string[]>();
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
  for (const name of files) {
    const file = `.github/workflows/${name}`;
    let wf: Workflow;
    try {
      wf = parse(readFileSync(join(dir, name), 'utf8')) as Workflow;
    } catch (err) {
      problems.push(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
      continue;
    }
    const uses: Array<{ where: string; uses: string; with?: Record<string, unknown> }> = [];
    for (const [jobName, job] of Object.entries(wf?.jobs ?? {})) {
      if (job.uses) uses.push({ where: `jobs.${jobName}`, uses: job.uses, with: job.with });
      (job.steps ?? []).forEach((s, i) => {
        if (s.uses) uses.push({ where: `jobs.${jobName}.steps[${i}]`, uses: s.uses, with: s.with });
      });
    }
    const ours = uses.filter((u) => REFERENCE.test(u.uses));
    if (ours.length === 0) continue;
    callers.push(file);
    for (const u of ours) {
      const ref = REFERENCE.exec(u.uses)![3]!;
      refs.set(ref, [...(refs.get(ref) ?? []), `${file} ${u.where}`]);
      for (const key of ['environment', 'to', 'from']) {
        const env = literal(u.with?.[key]);
        if (env !== undefined && !environments.includes(env))
          problems.push(
            `${file} ${u.where}: ${key}: ${JSON.stringify(env)} is not an environment in ${config.file}; expected one of ${environments.join(', ')}`,
          );
      }
      const svc = literal(u.with?.service);
      if (svc !== undefined && !services.includes(svc))
        problems.push(
          `${file} ${u.where}: service: ${JSON.stringify(svc)} is not a service in ${config.file}`,
        );
    }
    const on = wf.on && typeof wf.on === 'object' ? (wf.on as Record<string, unknown>) : {};
    const inputs = (
      (on.workflow_dispatch ?? {}) as { inputs?: Record<string, { type?: string; options?: unknown }> }
    ).inputs;
    const service = inputs?.service;
    if (service?.type === 'choice') {
      const options = Array.isArray(service.options) ? service.options.map(String) : [];
      const missing = services.filter((s) => !options.includes(s));
      const unknown = options.filter((o) => !services.includes(o));
      if (missing.length || unknown.length)
        problems.push(
          `${file}: on.workflow_dispatch.inputs.service.options ${missing.length ? `lacks ${missing.join(', ')}` : ''}${missing.length && unknown.length ? ' and ' : ''}${unknown.length ? `names ${unknown.join(', ')}, not in ${config.file}` : ''}; expected [${services.join(', ')}] (sd-actions init --force rewrites the callers)`,
        );
    }
  }
  if (callers.length === 0)
    problems.push(
      `no workflow in .github/workflows uses sd-actions; run sd-actions init to write the callers`,
    );
  if (refs.size > 1)
    problems.push(
      `the callers pin different sd-actions refs (${[...refs].map(([r, at]) => `${r}: ${at.length} use(s), e.g. ${at[0]}`).join('; ')}); pin one`,
    );
  if (options.ref !== undefined)
    for (const [r, at] of refs)
      if (r !== options.ref)
        problems.push(`${at[0]}: pins sd-actions @${r}; expected @${options.ref} (--ref)`);
  return { callers, refs: [...refs.keys()], problems };
}
