/**
 * Keep package-lock.json installable with `npm ci` everywhere.
 *
 * The registry this project's machines use serves only the Linux builds of platform-specific
 * packages, so npm writes no lock entry for the others (e.g. unrs-resolver's darwin/win32
 * bindings) and `npm ci` then refuses the lock as out of sync. This adds the missing entries as
 * optional, platform-restricted packages — exactly what npm writes when it can see them — so
 * `npm ci` skips them on an incompatible platform without fetching anything.
 *
 *   node --import tsx packages/devtools/src/complete-lock.ts   (after any npm install)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './actions.js';

interface LockPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  license?: string;
}

/** os, cpu and libc from a platform package's name suffix (the napi-rs naming scheme). */
export function platformOf(name: string): { os: string[]; cpu: string[]; libc?: string[] } | undefined {
  const m =
    /-(android|darwin|freebsd|linux|openharmony|win32|wasm32)-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi|wasi))?$/.exec(
      name,
    );
  if (!m) return undefined;
  const [, os, cpu, abi] = m;
  if (os === 'wasm32') return { os: [], cpu: ['wasm32'] };
  const libc = abi?.startsWith('musl') ? ['musl'] : abi?.startsWith('gnu') ? ['glibc'] : undefined;
  return { os: [os!], cpu: [cpu!], ...(libc ? { libc } : {}) };
}

const path = join(ROOT, 'package-lock.json');
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockPackage> };
const added: string[] = [];
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const base =
      key.endsWith('node_modules') || key === ''
        ? key
        : key.slice(0, key.lastIndexOf('node_modules/') + 'node_modules'.length);
    const entry = `${base ? `${base}/` : 'node_modules/'}${dep}`.replace(/^\/+/, '');
    const candidates = [`node_modules/${dep}`, entry];
    if (candidates.some((c) => lock.packages[c])) continue;
    const platform = platformOf(dep);
    if (!platform || !/^\d+\.\d+\.\d+$/.test(version)) continue;
    lock.packages[`node_modules/${dep}`] = { version, ...platform, optional: true };
    added.push(`${dep}@${version}`);
  }
}
if (added.length > 0) {
  const sorted = Object.fromEntries(
    Object.entries(lock.packages).sort(([a], [b]) =>
      a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
    ),
  );
  lock.packages = sorted;
  writeFileSync(path, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`complete-lock: ${added.length ? `added ${added.join(', ')}` : 'nothing missing'}`);
