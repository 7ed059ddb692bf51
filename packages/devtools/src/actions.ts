/** The actions of this repository, found from the layout: actions/<name>/action.yml. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../../..');

export interface ActionInput {
  description?: string;
  required?: boolean;
  default?: string;
  deprecationMessage?: string;
}

export interface ActionManifest {
  name: string;
  description?: string;
  inputs?: Record<string, ActionInput>;
  outputs?: Record<string, { description?: string }>;
  runs: { using: string; main?: string; post?: string };
}

export interface ActionInfo {
  /** e.g. "detect-changed-service" or "promote" (the root-level front door). */
  name: string;
  /** Directory relative to the repo root holding action.yml. */
  dir: string;
  manifest: ActionManifest;
  /** The TypeScript entry, when this action is bundled from its own source. */
  entry?: string;
}

export function readAction(dir: string): ActionInfo {
  const manifest = parse(readFileSync(join(ROOT, dir, 'action.yml'), 'utf8')) as ActionManifest;
  const entry = existsSync(join(ROOT, dir, 'src', 'index.ts'))
    ? join(dir, 'src', 'index.ts')
    : join(dir, 'src', 'main.ts');
  return {
    name: dir.split('/').pop()!,
    dir,
    manifest,
    entry: existsSync(join(ROOT, entry)) ? entry : undefined,
  };
}

/** Every action.yml in the repository: actions/* plus root-level front doors (e.g. promote/). */
export function listActions(): ActionInfo[] {
  const dirs = readdirSync(join(ROOT, 'actions'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'actions', d.name, 'action.yml')))
    .map((d) => `actions/${d.name}`);
  const roots = readdirSync(ROOT, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(ROOT, d.name, 'action.yml')))
    .map((d) => d.name);
  return [...dirs, ...roots].sort().map(readAction);
}
