/**
 * Which services a set of changed files marks, and why. Pure: the caller lists the files.
 *
 * A file marks a service when it lies under the service's path (directory boundary, so
 * "projects/blue" never owns "projects/blue-green/x"), matches one of its `dependsOn`
 * paths or globs, or matches a `shared` path or glob (which marks every service).
 */
import picomatch from 'picomatch';
import type { Config, ServiceConfig } from './config.js';
import { isGlob, toPicomatch } from './paths.js';

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
}

/** What is keyed under one directory of the index: services living there, plain rules naming it. */
interface DirectoryEntry {
  services: string[];
  rules: Rule[];
}

/**
 * A matcher built once per config. Service directories and plain (non-glob) dependsOn/shared
 * paths go in one map keyed by directory, so each file costs one lookup per path segment, not
 * one comparison per service or rule. Globs are deduplicated (a 2,000-service monorepo has a
 * handful of distinct ones) and each is compiled once.
 */
export class ChangeMatcher {
  private readonly byDirectory = new Map<string, DirectoryEntry>();
  private readonly globs: { rule: Rule; test: (file: string) => boolean }[] = [];
  /** The distinct rules of each kind, by text. */
  private readonly rules = { dependsOn: new Map<string, Rule>(), shared: new Map<string, Rule>() };
  private readonly compiled = new Map<string, (file: string) => boolean>();
  /** Each service's dependsOn rules, in config order, without repeats. */
  private readonly dependsOn = new Map<string, Rule[]>();
  private readonly shared: Rule[];

  constructor(private readonly config: Config) {
    for (const service of config.services.values()) {
      this.entry(service.path).services.push(service.name);
      this.dependsOn.set(service.name, [...new Set(service.dependsOn.map((t) => this.rule('dependsOn', t)))]);
    }
    this.shared = [...new Set(config.shared.map((text) => this.rule('shared', text)))];
  }

  private entry(dir: string): DirectoryEntry {
    let entry = this.byDirectory.get(dir);
    if (!entry) this.byDirectory.set(dir, (entry = { services: [], rules: [] }));
    return entry;
  }

  private rule(kind: Rule['kind'], text: string): Rule {
    const existing = this.rules[kind].get(text);
    if (existing) return existing;
    const rule: Rule = { kind, text };
    this.rules[kind].set(text, rule);
    if (isGlob(text)) {
      let test = this.compiled.get(text);
      if (!test) {
        test = picomatch(toPicomatch(text), { dot: true });
        this.compiled.set(text, test);
      }
      this.globs.push({ rule, test });
    } else {
      this.entry(text).rules.push(rule);
    }
    return rule;
  }

  /** Calls `visit` with the index entry of every directory the file is under (and the file itself). */
  private ancestors(file: string, visit: (entry: DirectoryEntry) => void): void {
    const root = this.byDirectory.get('.');
    if (root) visit(root);
    let end = file.length;
    while (end > 0) {
      const entry = this.byDirectory.get(file.slice(0, end));
      if (entry) visit(entry);
      end = file.lastIndexOf('/', end - 1);
    }
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
      this.ancestors(path, (entry) => {
        for (const name of entry.services) note(pathHits, name, path);
        for (const rule of entry.rules) note(ruleHits, rule, path);
      });
      for (const { rule, test } of this.globs) if (test(path)) note(ruleHits, rule, path);
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
