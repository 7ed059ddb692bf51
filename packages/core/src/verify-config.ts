/**
 * The `verify` blocks of the config (issue 12), under `environments.<env>` and `services.<svc>`,
 * and the `checks` input of verify-deployment, which has the same shape:
 *
 *   verify:
 *     interval: 10s              # between measurements
 *     count: 6                   # answered measurements per check after the rollout is seen
 *     failureLimit: 0            # failed measurements tolerated
 *     consecutiveErrorLimit: 4   # errors (no usable answer) tolerated in a row
 *     rolloutTimeout: 10m        # how long to wait for the new version to show up
 *     alarms: { critical: [blue-5xx], warning: [blue-cpu], insufficientData: fail }
 *     codepipeline: { pipeline: blue-prod }
 *     http:
 *       - url: https://blue.{environment}.example.com/health/ready
 *         status: 200
 *         version: $.version
 *         conditions: ['$.status == "UP"', '$.latencyMs < 500']
 *         headers: { Authorization: 'Bearer ${HEALTH_TOKEN}' }
 *         timeout: 5s            # per request
 *     command: ./scripts/smoke.sh
 *     attempts: 3
 *
 * A service's checks add to its environment's (http and command lists are concatenated, alarm
 * lists merged); its settings (interval, count, limits, codepipeline, …) override the
 * environment's. The `checks` input replaces the configured checks for a run, and its settings
 * override the configured ones.
 *
 * Pure. Problems are reported through the config reader (file, key path, value, line).
 */
import type { KeyPath, Location } from './config-document.js';
import { UserError, show } from './errors.js';
import { parseCondition, parseJsonPath, type Condition, type JsonPath } from './verify-condition.js';

/** Placeholders verify templates may use (URLs, headers, conditions, alarm names, pipeline). */
export const VERIFY_PLACEHOLDERS = ['service', 'environment', 'version', 'digest'] as const;
export type VerifyPlaceholder = (typeof VERIFY_PLACEHOLDERS)[number];
export type VerifyValues = Record<VerifyPlaceholder, string>;

export const INSUFFICIENT_DATA_POLICIES = ['fail', 'ignore'] as const;
export type InsufficientDataPolicy = (typeof INSUFFICIENT_DATA_POLICIES)[number];

export interface HttpCheckSpec {
  /** URL template. */
  url: string;
  /** Accepted status codes. */
  status: number[];
  /** Where the endpoint reports the running version (compared with {version} or {digest}). */
  version?: { text: string; path: JsonPath };
  /** Parsed conditions; string values may still hold placeholders. */
  conditions: Condition[];
  /** Header templates; `${VAR}` parts come from the step's environment and are masked. */
  headers: Record<string, string>;
  /** Per-request timeout, ms. */
  timeoutMs: number;
}

export interface AlarmSpec {
  critical: string[];
  warning: string[];
  insufficientData?: InsufficientDataPolicy;
}

export interface PipelineSpec {
  pipeline: string;
  stage?: string;
}

/** One `verify` block as written: settings it does not give are undefined. */
export interface VerifySpec {
  intervalMs?: number;
  count?: number;
  failureLimit?: number;
  consecutiveErrorLimit?: number;
  rolloutTimeoutMs?: number;
  attempts?: number;
  alarms?: AlarmSpec;
  codepipeline?: PipelineSpec;
  http: HttpCheckSpec[];
  commands: string[];
}

/** Everything a verification runs, defaults applied. */
export interface VerifyPlan {
  intervalMs: number;
  count: number;
  failureLimit: number;
  consecutiveErrorLimit: number;
  rolloutTimeoutMs: number;
  attempts: number;
  alarms: Required<AlarmSpec>;
  codepipeline?: PipelineSpec;
  http: HttpCheckSpec[];
  commands: string[];
}

export const VERIFY_DEFAULTS = {
  intervalMs: 10_000,
  count: 6,
  failureLimit: 0,
  consecutiveErrorLimit: 4,
  rolloutTimeoutMs: 600_000,
  attempts: 3,
  insufficientData: 'fail' as InsufficientDataPolicy,
  requestTimeoutMs: 10_000,
};

export const VERIFY_KEYS = [
  'interval',
  'count',
  'failureLimit',
  'consecutiveErrorLimit',
  'rolloutTimeout',
  'alarms',
  'codepipeline',
  'http',
  'command',
  'attempts',
] as const;
const HTTP_KEYS = ['url', 'status', 'version', 'conditions', 'headers', 'timeout'] as const;
const ALARM_KEYS = ['critical', 'warning', 'insufficientData'] as const;
const PIPELINE_KEYS = ['pipeline', 'stage'] as const;

/** What the config reader offers: structurally satisfied by config.ts's Reader. */
export interface ProblemReporter {
  fail(path: KeyPath, value: unknown, expected: string): never;
  failText(path: KeyPath, text: string): never;
}

const VERIFY_DURATION = /^(?:\d+(?:ms|[smhd]))+$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };

/** "10s", "1m30s", "500ms" → ms; undefined when not a duration. */
export function parseVerifyDuration(text: string): number | undefined {
  if (!VERIFY_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|[smhd])/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return ms;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;
const ENV_REF = /\$\{([^{}]*)\}/g;

/** Fill `{service}`, `{environment}`, `{version}`, `{digest}` (validated before, so all known). */
export function renderVerifyTemplate(template: string, values: VerifyValues): string {
  return template.replace(PLACEHOLDER, (whole, name: string, offset: number) => {
    if (offset > 0 && template[offset - 1] === '$') return whole;
    const value = values[name as VerifyPlaceholder];
    if (value === undefined)
      throw new UserError(`template ${show(template)} uses {${name}}, which is not known here`);
    return value;
  });
}

/** The `{placeholders}` of a template, leaving `${VAR}` references out. */
function placeholders(template: string): string[] {
  return [...template.replace(ENV_REF, '').matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

class VerifyReader {
  constructor(private readonly r: ProblemReporter) {}

  fail(path: KeyPath, value: unknown, expected: string): never {
    return this.r.fail(path, value, expected);
  }

  object(path: KeyPath, value: unknown, allowed: readonly string[]): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.r.fail(path, value, 'is not a mapping; expected keys');
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.r.failText([...path, key], `unknown key; expected one of ${allowed.join(', ')}`);
    }
    return value as Record<string, unknown>;
  }

  string(path: KeyPath, value: unknown): string {
    if (typeof value !== 'string' || value.trim() === '')
      this.r.fail(path, value, 'is not a non-empty string');
    return value;
  }

  list(path: KeyPath, value: unknown): unknown[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
  }

  template(path: KeyPath, value: unknown): string {
    const text = this.string(path, value);
    for (const name of placeholders(text)) {
      if (!(VERIFY_PLACEHOLDERS as readonly string[]).includes(name))
        this.r.fail(
          path,
          text,
          `uses {${name}}; expected only ${VERIFY_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        );
    }
    return text;
  }

  integer(path: KeyPath, value: unknown, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      this.r.fail(path, value, `is not a whole number from ${min} to ${max}`);
    return value;
  }

  duration(path: KeyPath, value: unknown, minMs: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    const ms = typeof value === 'string' ? parseVerifyDuration(value) : undefined;
    if (ms === undefined)
      this.r.fail(path, value, 'is not a duration; expected a number with a unit, like 500ms, 10s or 10m');
    if (ms < minMs) this.r.fail(path, value, `is too short; expected at least ${minMs}ms`);
    return ms;
  }
}

/**
 * Read one `verify` block at `path` (undefined when absent). Throws through `reporter` on the
 * first problem, naming the key path.
 */
export function readVerify(reporter: ProblemReporter, path: KeyPath, value: unknown): VerifySpec | undefined {
  if (value === undefined || value === null) return undefined;
  const r = new VerifyReader(reporter);
  const raw = r.object(path, value, VERIFY_KEYS);
  const at = (key: string): KeyPath => [...path, key];
  const spec: VerifySpec = {
    intervalMs: r.duration(at('interval'), raw.interval, 1),
    count: r.integer(at('count'), raw.count, 1, 10_000),
    failureLimit: r.integer(at('failureLimit'), raw.failureLimit, 0, 10_000),
    consecutiveErrorLimit: r.integer(at('consecutiveErrorLimit'), raw.consecutiveErrorLimit, 0, 10_000),
    rolloutTimeoutMs: r.duration(at('rolloutTimeout'), raw.rolloutTimeout, 0),
    attempts: r.integer(at('attempts'), raw.attempts, 1, 100),
    http: r.list(at('http'), raw.http).map((item, i) => readHttp(r, [...path, 'http', i], item)),
    commands: r.list(at('command'), raw.command).map((item, i) => {
      const p = Array.isArray(raw.command) ? [...path, 'command', i] : at('command');
      const text = r.string(p, item);
      const used = [...text.matchAll(/(?<!\$)\{(service|environment|version|digest)\}/g)].map((m) => m[1]);
      if (used.length > 0)
        r.fail(
          p,
          text,
          `uses {${used[0]}}; a command gets the values only as environment variables: use "$SD_${used[0]!.toUpperCase()}"`,
        );
      return text;
    }),
  };
  if (raw.alarms !== undefined && raw.alarms !== null) {
    const a = r.object(at('alarms'), raw.alarms, ALARM_KEYS);
    const names = (key: 'critical' | 'warning') =>
      r.list([...path, 'alarms', key], a[key]).map((n, i) => r.template([...path, 'alarms', key, i], n));
    let insufficientData: InsufficientDataPolicy | undefined;
    if (a.insufficientData !== undefined && a.insufficientData !== null) {
      if (!(INSUFFICIENT_DATA_POLICIES as readonly unknown[]).includes(a.insufficientData))
        r.fail(
          [...path, 'alarms', 'insufficientData'],
          a.insufficientData,
          'is not a policy; expected fail or ignore',
        );
      insufficientData = a.insufficientData as InsufficientDataPolicy;
    }
    spec.alarms = { critical: names('critical'), warning: names('warning'), insufficientData };
  }
  const codepipeline = readPipelineSpec(reporter, at('codepipeline'), raw.codepipeline);
  if (codepipeline) spec.codepipeline = codepipeline;
  return spec;
}

/** A pipeline, stage or action name as CodePipeline accepts it. */
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;

/**
 * A `codepipeline: { pipeline, stage? }` block at `path` (undefined when absent): under
 * `environments.<env>` (DESIGN.md's form) or inside a `verify` block, the same shape. The pipeline
 * name may use the verify placeholders; the stage is a plain name.
 */
export function readPipelineSpec(
  reporter: ProblemReporter,
  path: KeyPath,
  value: unknown,
): PipelineSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const r = new VerifyReader(reporter);
  const c = r.object(path, value, PIPELINE_KEYS);
  const pipeline = r.template([...path, 'pipeline'], c.pipeline);
  if (!PIPELINE_NAME.test(renderVerifyTemplate(pipeline, SAMPLE)))
    r.fail(
      [...path, 'pipeline'],
      pipeline,
      'is not a CodePipeline name; expected 1-100 letters, digits, ".", "@", "_" or "-" (placeholders allowed)',
    );
  if (c.stage === undefined || c.stage === null) return { pipeline };
  const stage = r.string([...path, 'stage'], c.stage);
  if (!PIPELINE_NAME.test(stage))
    r.fail(
      [...path, 'stage'],
      stage,
      'is not a CodePipeline stage name; expected 1-100 letters, digits, ".", "@", "_" or "-"',
    );
  return { pipeline, stage };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SAMPLE: VerifyValues = { service: 's', environment: 'e', version: '1.0.0', digest: 'sha256:0' };

function readHttp(r: VerifyReader, path: KeyPath, value: unknown): HttpCheckSpec {
  const raw = r.object(path, value, HTTP_KEYS);
  const url = r.template([...path, 'url'], raw.url);
  if (url.includes('${')) r.fail([...path, 'url'], url, 'uses ${…}; secrets go in headers, never in URLs');
  let parsed: URL | undefined;
  try {
    parsed = new URL(renderVerifyTemplate(url, SAMPLE));
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
    r.fail(
      [...path, 'url'],
      url,
      'is not an http(s) URL; expected e.g. https://blue.{environment}.example.com/health',
    );
  if (parsed.username || parsed.password)
    r.fail([...path, 'url'], url, 'has credentials; put them in headers with ${VAR}');

  const status = r.list([...path, 'status'], raw.status ?? 200).map((s, i) => {
    const p = Array.isArray(raw.status) ? [...path, 'status', i] : [...path, 'status'];
    return r.integer(p, s, 100, 599)!;
  });
  if (status.length === 0)
    r.fail([...path, 'status'], raw.status, 'is empty; expected a status code like 200');

  let version: HttpCheckSpec['version'];
  if (raw.version !== undefined && raw.version !== null) {
    const text = r.string([...path, 'version'], raw.version);
    const p = parseJsonPath(text);
    if ('problem' in p)
      r.fail([...path, 'version'], text, `${p.problem}; expected a JSON path like $.version`);
    version = { text, path: p };
  }

  const conditions = r.list([...path, 'conditions'], raw.conditions).map((c, i) => {
    const p = [...path, 'conditions', i];
    const text = r.template(p, c);
    const condition = parseCondition(text);
    if ('problem' in condition)
      r.fail(p, text, `${condition.problem}; expected "<path> <op> <value>", e.g. '$.status == "UP"'`);
    return condition;
  });

  const headers: Record<string, string> = {};
  if (raw.headers !== undefined && raw.headers !== null) {
    const h = r.object([...path, 'headers'], raw.headers, Object.keys(raw.headers as object));
    for (const [name, v] of Object.entries(h)) {
      const p = [...path, 'headers', name];
      if (!HEADER_NAME.test(name)) r.fail(p, name, 'is not a valid header name');
      const text = r.template(p, typeof v === 'number' ? String(v) : v);
      for (const m of text.matchAll(ENV_REF)) {
        if (!ENV_NAME.test(m[1] ?? ''))
          r.fail(p, text, `uses ${m[0]}; expected \${NAME} with letters, digits and "_"`);
      }
      headers[name] = text;
    }
  }
  const timeoutMs = r.duration([...path, 'timeout'], raw.timeout, 1) ?? VERIFY_DEFAULTS.requestTimeoutMs;
  return { url, status, version, conditions, headers, timeoutMs };
}

function hasChecks(spec: VerifySpec): boolean {
  return (
    spec.http.length > 0 ||
    spec.commands.length > 0 ||
    spec.codepipeline !== undefined ||
    (spec.alarms !== undefined && spec.alarms.critical.length + spec.alarms.warning.length > 0)
  );
}

/**
 * The plan for one service in one environment: the environment's block, then the service's
 * (checks add, settings override), then the `checks` input (checks replace, settings override).
 */
export function combineVerify(
  environment: VerifySpec | undefined,
  service: VerifySpec | undefined,
  input?: VerifySpec,
): VerifyPlan {
  const layers = [environment, service, input].filter((l): l is VerifySpec => l !== undefined);
  const pick = <K extends keyof VerifySpec>(key: K): VerifySpec[K] | undefined => {
    let value: VerifySpec[K] | undefined;
    for (const layer of layers) if (layer[key] !== undefined) value = layer[key];
    return value;
  };
  const checkLayers = input ? [input] : layers;
  const alarms: Required<AlarmSpec> = {
    critical: [],
    warning: [],
    insufficientData: VERIFY_DEFAULTS.insufficientData,
  };
  for (const layer of layers) {
    if (layer.alarms?.insufficientData) alarms.insufficientData = layer.alarms.insufficientData;
  }
  let codepipeline: PipelineSpec | undefined;
  for (const layer of checkLayers) {
    for (const n of layer.alarms?.critical ?? []) if (!alarms.critical.includes(n)) alarms.critical.push(n);
    for (const n of layer.alarms?.warning ?? []) if (!alarms.warning.includes(n)) alarms.warning.push(n);
    if (layer.codepipeline) codepipeline = layer.codepipeline;
  }
  return {
    intervalMs: pick('intervalMs') ?? VERIFY_DEFAULTS.intervalMs,
    count: pick('count') ?? VERIFY_DEFAULTS.count,
    failureLimit: pick('failureLimit') ?? VERIFY_DEFAULTS.failureLimit,
    consecutiveErrorLimit: pick('consecutiveErrorLimit') ?? VERIFY_DEFAULTS.consecutiveErrorLimit,
    rolloutTimeoutMs: pick('rolloutTimeoutMs') ?? VERIFY_DEFAULTS.rolloutTimeoutMs,
    attempts: pick('attempts') ?? VERIFY_DEFAULTS.attempts,
    alarms,
    codepipeline,
    http: checkLayers.flatMap((l) => l.http),
    commands: checkLayers.flatMap((l) => l.commands),
  };
}

/** True when a plan has something to check. */
export function planHasChecks(plan: VerifyPlan): boolean {
  return hasChecks(plan);
}

/**
 * Read the `checks` input: YAML of the `verify` shape. Errors name the input, the key path and
 * the line. Loads the `yaml` library (with positions) only here.
 */
export async function parseChecksInput(text: string, source = 'input "checks"'): Promise<VerifySpec> {
  const { readConfigDocument } = await import('./config-document.js');
  const { value, locate } = readConfigDocument(text, source);
  const reporter = locatedReporter(source, locate);
  if (value === undefined || value === null) reporter.failText([], 'is empty; expected a verify mapping');
  return readVerify(reporter, [], value)!;
}

/** A reporter in config.ts's message format, for texts read outside the config file. */
export function locatedReporter(file: string, locate: (path: KeyPath) => Location): ProblemReporter {
  const key = (path: KeyPath) => (path.length ? path.join('.') : '(top level)');
  return {
    fail(path, value, expected) {
      throw new UserError(`${file}: ${key(path)}: ${show(value)} ${expected}`, locate(path));
    },
    failText(path, text) {
      throw new UserError(`${file}: ${key(path)}: ${text}`, locate(path));
    },
  };
}

/** An http check with its templates filled and `${VAR}` headers resolved from `env`. */
export interface HttpCheck {
  url: string;
  status: number[];
  version?: { text: string; path: JsonPath };
  conditions: Condition[];
  headers: Record<string, string>;
  timeoutMs: number;
}

/**
 * Fill an http check's templates. `${VAR}` header values come from `env`; a missing variable is
 * an error naming it. The resolved values are returned in `secrets` to be masked.
 */
export function instantiateHttpCheck(
  spec: HttpCheckSpec,
  values: VerifyValues,
  env: Record<string, string | undefined>,
): { check: HttpCheck; secrets: string[] } {
  const secrets: string[] = [];
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(spec.headers)) {
    const filled = renderVerifyTemplate(template, values).replace(ENV_REF, (_whole, variable: string) => {
      const value = env[variable];
      if (value === undefined || value === '')
        throw new UserError(
          `verify http header ${name} uses \${${variable}}, but ${variable} is not set in the step's environment; pass it with env: ${variable}: \${{ secrets.${variable} }}`,
        );
      secrets.push(value);
      return value;
    });
    headers[name] = filled;
  }
  const conditions = spec.conditions.map((c) =>
    typeof c.value === 'string' ? { ...c, value: renderVerifyTemplate(c.value, values) } : c,
  );
  return {
    check: {
      url: renderVerifyTemplate(spec.url, values),
      status: spec.status,
      version: spec.version,
      conditions,
      headers,
      timeoutMs: spec.timeoutMs,
    },
    secrets,
  };
}
