/**
 * Which services a set of changed files marks, and why. Pure: the caller lists the files.
 *
 * A file marks a service when it lies under the service's path (directory boundary, so
 * "projects/blue" never owns "projects/blue-green/x"), matches one of its `dependsOn`
 * paths or globs, or matches a `shared` path or glob (which marks every service).
 */
import picomatch from 'picomatch';
import type { Config, ServiceConfig } from './config.js';
import { isGlob, isUnder } from './paths.js';

export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';

export interface ChangedFile {
  status: ChangeStatus;
  path: string;
}

export type Reason =
  | { kind: 'path'; files: string[]; total: number }
  | { kind: 'dependsOn'; rule: string; files: string[]; total: number }
  | { kind: 'shared'; rule: string; files: string[]; total: number }
  | { kind: 'requested'; detail: string }
  | { kind: 'all'; detail: string };

export interface ServiceChange {
  service: ServiceConfig;
  reason: Reason;
}

/** How many example files a reason keeps. */
const EXAMPLES = 3;

interface Rule {
  kind: 'dependsOn' | 'shared';
  text: string;
  test: (file: string) => boolean;
}

function compileRule(kind: Rule['kind'], text: string): Rule {
  if (isGlob(text)) {
    const isMatch = picomatch(text, { dot: true });
    return { kind, text, test: (file) => isMatch(file) };
  }
  return { kind, text, test: (file) => isUnder(text, file) };
}

/**
 * A matcher built once per config: service directories go in a map keyed by directory so each
 * file costs one lookup per path segment, not one comparison per service.
 */
export class ChangeMatcher {
  private readonly byDirectory = new Map<string, string[]>();
  private readonly dependsOn = new Map<string, Rule[]>();
  private readonly rules: Rule[] = [];
  private readonly shared: Rule[];

  constructor(private readonly config: Config) {
    for (const service of config.services.values()) {
      const list = this.byDirectory.get(service.path) ?? [];
      list.push(service.name);
      this.byDirectory.set(service.path, list);
      const rules = service.dependsOn.map((dep) => compileRule('dependsOn', dep));
      this.dependsOn.set(service.name, rules);
      this.rules.push(...rules);
    }
    this.shared = config.shared.map((text) => compileRule('shared', text));
    this.rules.push(...this.shared);
  }

  /** Services whose directory is the file or one of its ancestors. */
  private owners(file: string): string[] {
    const found: string[] = [];
    const root = this.byDirectory.get('.');
    if (root) found.push(...root);
    let end = file.length;
    while (end > 0) {
      const owners = this.byDirectory.get(file.slice(0, end));
      if (owners) found.push(...owners);
      end = file.lastIndexOf('/', end - 1);
    }
    return found;
  }

  match(files: readonly ChangedFile[]): ServiceChange[] {
    const pathHits = new Map<string, string[]>();
    const ruleHits = new Map<Rule, string[]>();
    const note = <K>(map: Map<K, string[]>, key: K, file: string) => {
      const list = map.get(key);
      if (list) list.push(file);
      else map.set(key, [file]);
    };
    for (const { path } of files) {
      for (const name of this.owners(path)) note(pathHits, name, path);
      for (const rule of this.rules) if (rule.test(path)) note(ruleHits, rule, path);
    }
    const sharedHit = this.shared.find((rule) => ruleHits.has(rule));
    const changes: ServiceChange[] = [];
    for (const service of this.config.services.values()) {
      const own = pathHits.get(service.name);
      if (own) {
        changes.push({ service, reason: { kind: 'path', files: own.slice(0, EXAMPLES), total: own.length } });
        continue;
      }
      // Without a direct change, the first matching dependsOn rule explains it, then shared.
      const rule = this.dependsOn.get(service.name)?.find((r) => ruleHits.has(r)) ?? sharedHit;
      const hits = rule && ruleHits.get(rule);
      if (rule && hits) {
        changes.push({
          service,
          reason: { kind: rule.kind, rule: rule.text, files: hits.slice(0, EXAMPLES), total: hits.length },
        });
      }
    }
    return changes.sort((a, b) => compareNames(a.service.name, b.service.name));
  }
}

/** Every service, for events that do not compare commits. */
export function allServices(config: Config, detail: string): ServiceChange[] {
  return [...config.services.values()]
    .map((service) => ({ service, reason: { kind: 'all', detail } as Reason }))
    .sort((a, b) => compareNames(a.service.name, b.service.name));
}

/** Byte-wise order, stable across locales, so outputs are reproducible. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A one-line human explanation of a reason, for outputs and summaries. */
export function describeReason(reason: Reason): string {
  const files = (r: { files: string[]; total: number }) =>
    r.files.join(', ') + (r.total > r.files.length ? ` and ${r.total - r.files.length} more` : '');
  switch (reason.kind) {
    case 'path':
      return `changed: ${files(reason)}`;
    case 'dependsOn':
      return `dependsOn ${reason.rule}: ${files(reason)}`;
    case 'shared':
      return `shared ${reason.rule}: ${files(reason)}`;
    case 'requested':
    case 'all':
      return reason.detail;
  }
}
