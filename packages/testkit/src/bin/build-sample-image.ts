/**
 * A tiny stand-in for `docker build && docker push`, for the demo and tests: packs the files of
 * CONTEXT into a one-layer image labelled from LABELS and stores it as IMAGE:TAG. It reads only
 * the environment build-once-tag gives a build command, so it can be used as:
 *
 *   build-command: node --import tsx packages/testkit/src/bin/build-sample-image.ts
 *
 * REGISTRY_TYPE/REGISTRY_URL/REPOSITORY (set by build-once-tag) choose the registry; without
 * them IMAGE is taken as an oci-layout directory `<root>/<repository>`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { isUserError, type RegistryConfig } from '@sd-actions/core';
import { isBlobStore, openRegistry } from '@sd-actions/registry';
import { buildImage, pushImage } from '../sample-image.js';
import type { TarEntry } from '../tar.js';

const MAX_FILES = 200;
const MAX_BYTES = 8 * 1024 * 1024;

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`build-sample-image: ${name} is not set (it is set by build-once-tag)`);
  return value;
}

function contextFiles(dir: string, prefix: string): TarEntry[] {
  const files: TarEntry[] = [];
  let bytes = 0;
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += statSync(full).size;
        if (files.length >= MAX_FILES || bytes > MAX_BYTES)
          throw new Error(`build-sample-image: ${dir} is too big for a sample image`);
        files.push({ path: `${prefix}/${relative(dir, full)}`, data: readFileSync(full) });
      }
    }
  };
  walk(dir);
  return files;
}

async function main(): Promise<void> {
  const image = need('IMAGE');
  const tag = need('TAG');
  const context = process.env.CONTEXT ?? '.';
  const service = process.env.SERVICE ?? basename(image);
  const labels: Record<string, string> = {};
  for (const line of (process.env.LABELS ?? '').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) labels[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const type = (process.env.REGISTRY_TYPE ?? 'oci-layout') as RegistryConfig['type'];
  const url = process.env.REGISTRY_URL ?? dirname(image);
  const repository = process.env.REPOSITORY ?? basename(image);
  const registry = openRegistry(
    { type, url, insecure: process.env.REGISTRY_INSECURE === 'true' },
    {
      workspace: process.cwd(),
      credentials: process.env.REGISTRY_USERNAME
        ? { username: process.env.REGISTRY_USERNAME, password: process.env.REGISTRY_PASSWORD }
        : undefined,
    },
  );
  if (!isBlobStore(registry)) throw new Error(`build-sample-image: cannot push blobs to a ${type} registry`);
  const built = buildImage({ files: contextFiles(context, `srv/${service}`), labels });
  const digest = await pushImage(registry, repository, tag, built);
  console.log(`build-sample-image: ${image}:${tag} -> ${digest}`);
  await registry.close?.();
}

main().catch((err: unknown) => {
  console.error(isUserError(err) ? err.message : err);
  process.exit(1);
});
