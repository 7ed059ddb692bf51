/**
 * The oci-layout driver: the embedded registry is a directory other tools can read. skopeo reads
 * what we write (and we read what skopeo writes); writes are atomic and serialised.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  childManifests,
  MEDIA_TYPES,
  OciLayoutRegistry,
  openRegistry,
  REF_NAME,
  retag,
} from '@sd-actions/registry';
import { buildImage, pushImage, removeDir, ROOT, sampleImage, tempDir } from '@sd-actions/testkit';

let dir: string;
let registry: OciLayoutRegistry;

beforeAll(() => {
  dir = tempDir('layout-');
  registry = new OciLayoutRegistry('registry', { baseDir: dir });
});
afterAll(() => removeDir(dir));

function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.each(['single', 'docker', 'index', 'docker-list'] as const)('%s image', (kind) => {
  const repo = `img-${kind}`;
  let digest: string;

  beforeAll(async () => {
    digest = await pushImage(registry, repo, 'sha-1111111', sampleImage(kind, kind));
  });

  test('resolve, fetch exact bytes, retag keeps the digest, list and tagsOf', async () => {
    const built = sampleImage(kind, kind);
    expect(digest).toBe(built.manifest.digest);
    const resolved = await registry.resolve(repo, 'sha-1111111');
    expect(resolved).toEqual({ digest, mediaType: built.manifest.mediaType, size: built.manifest.size });
    const manifest = (await registry.getManifest(repo, 'sha-1111111'))!;
    expect(manifest.bytes.equals(built.manifest.bytes)).toBe(true);

    const plan = await retag(registry, repo, manifest, [
      { tag: 'dev', kind: 'moving' },
      { tag: '1.0.0', kind: 'immutable' },
    ]);
    expect(plan.map((p) => p.action)).toEqual(['add', 'add']);
    for (const tag of ['dev', '1.0.0']) expect((await registry.resolve(repo, tag))?.digest).toBe(digest);
    expect((await registry.getManifest(repo, 'dev'))!.bytes.equals(built.manifest.bytes)).toBe(true);
    expect(await registry.listTags(repo)).toEqual(['1.0.0', 'dev', 'sha-1111111']);
    expect(await registry.tagsOf(repo, digest)).toEqual(['1.0.0', 'dev', 'sha-1111111']);
    expect(await registry.exists(repo, digest)).toBe(true);
    expect(await registry.exists(repo, 'nope')).toBe(false);
    // Every platform manifest of an index stays reachable, with its blobs.
    for (const child of childManifests(manifest.bytes)) {
      const platform = (await registry.getManifest(repo, child.digest))!;
      expect(platform.digest).toBe(child.digest);
      for (const blob of JSON.parse(platform.bytes.toString()).layers as { digest: string }[])
        expect(await registry.hasBlob(repo, blob.digest)).toBe(true);
    }
  });

  // skopeo (containers/image) only looks at OCI-typed index.json entries; Docker-typed manifests
  // are stored faithfully (same bytes, same type) but are ours alone to read.
  const ociTyped = kind === 'single' || kind === 'index';
  if (ociTyped)
    test('skopeo inspect oci:DIR:TAG reads what we wrote, byte for byte', () => {
      const layout = join(dir, 'registry', repo);
      const raw = skopeo('inspect', '--raw', `oci:${layout}:dev`);
      expect(Buffer.from(raw).equals(sampleImage(kind, kind).manifest.bytes)).toBe(true);
      const info = JSON.parse(
        skopeo('inspect', '--override-arch', 'amd64', '--override-os', 'linux', `oci:${layout}:dev`),
      ) as {
        Architecture: string;
        Layers: string[];
      };
      expect(info.Architecture).toBe('amd64');
      expect(info.Layers).toHaveLength(1);
    });
});

test('we read what skopeo writes (an oci layout copied by skopeo)', async () => {
  const src = join(dir, 'registry', 'img-single');
  const dst = join(dir, 'registry', 'by-skopeo');
  skopeo('copy', '--quiet', `oci:${src}:dev`, `oci:${dst}:copied`);
  const manifest = await registry.getManifest('by-skopeo', 'copied');
  expect(manifest?.digest).toBe(sampleImage('single', 'single').manifest.digest);
  expect(manifest?.mediaType).toBe(MEDIA_TYPES.ociManifest);
});

test('a moving tag moves; an immutable tag is refused and nothing is written', async () => {
  const a = await pushImage(registry, 'moves', 'sha-aaaaaaa', sampleImage('single', 'a'));
  const b = await pushImage(registry, 'moves', 'sha-bbbbbbb', sampleImage('single', 'b'));
  const ma = (await registry.getManifest('moves', a))!;
  const mb = (await registry.getManifest('moves', b))!;
  await retag(registry, 'moves', ma, [
    { tag: 'dev', kind: 'moving' },
    { tag: '1.0.0', kind: 'immutable' },
  ]);
  const index = join(dir, 'registry', 'moves', 'index.json');
  const before = readFileSync(index);
  await expect(
    retag(registry, 'moves', mb, [
      { tag: 'dev', kind: 'moving' },
      { tag: 'new', kind: 'moving' },
      { tag: '1.0.0', kind: 'immutable' },
    ]),
  ).rejects.toThrow(`moves:1.0.0 already points at ${a}`);
  expect(readFileSync(index).equals(before)).toBe(true);

  const plan = await retag(registry, 'moves', mb, [{ tag: 'dev', kind: 'moving' }]);
  expect(plan[0]).toMatchObject({ action: 'move', current: a });
  expect((await registry.resolve('moves', 'dev'))?.digest).toBe(b);
  // One entry per tag: the moved tag replaced its old entry.
  const entries = (
    JSON.parse(readFileSync(index, 'utf8')) as { manifests: { annotations?: Record<string, string> }[] }
  ).manifests.map((m) => m.annotations?.[REF_NAME]);
  expect(entries.sort()).toEqual(['1.0.0', 'dev', 'sha-aaaaaaa', 'sha-bbbbbbb']);
  // And a re-run changes nothing, not even the file.
  const settled = readFileSync(index);
  expect((await retag(registry, 'moves', mb, [{ tag: 'dev', kind: 'moving' }]))[0]?.action).toBe('present');
  expect(readFileSync(index).equals(settled)).toBe(true);
});

test('refuses manifests whose blobs are missing, or whose bytes do not match their digest', async () => {
  const image = buildImage({ files: [{ path: 'x', data: Buffer.from('x') }] });
  await expect(registry.putManifest('partial', 'v', image.manifest)).rejects.toThrow(
    /refers to sha256:[0-9a-f]+ .*which is not in/,
  );
  expect(await registry.exists('partial', 'v')).toBe(false);
  const forged = { ...image.manifest, bytes: Buffer.concat([image.manifest.bytes, Buffer.from(' ')]) };
  await expect(registry.putManifest('partial', 'v', forged)).rejects.toThrow(/hash to .* not sha256:/);
  await expect(registry.resolve('Bad_Repo', 'x')).rejects.toThrow(
    '"Bad_Repo" is not a valid repository name',
  );
  await expect(registry.resolve('ok', 'bad tag!')).rejects.toThrow('is not a tag or digest');
});

test('a relative url is relative to the workspace; the factory opens the default registry', async () => {
  const workspace = tempDir('ws-');
  try {
    const opened = openRegistry(
      { type: 'oci-layout', url: '.sd-actions/registry', insecure: false },
      { workspace },
    );
    await pushImage(opened as OciLayoutRegistry, 'blue', 'sha-1234567', sampleImage('single', 'ws'));
    expect(readdirSync(join(workspace, '.sd-actions', 'registry', 'blue')).sort()).toEqual([
      'blobs',
      'index.json',
      'oci-layout',
    ]);
    expect(opened.imageName('blue')).toBe('.sd-actions/registry/blue');
  } finally {
    removeDir(workspace);
  }
});

test('concurrent writers in separate processes lose no tag and never tear index.json', async () => {
  const run = promisify(execFile);
  const workspace = tempDir('concurrent-');
  try {
    mkdirSync(join(workspace, 'context'));
    writeFileSync(join(workspace, 'context', 'app.txt'), 'same content\n');
    const writers = Array.from({ length: 8 }, (_, i) =>
      run(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'packages/testkit/src/bin/build-sample-image.ts')],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            NODE_OPTIONS: '',
            IMAGE: 'x',
            TAG: `t${i}`,
            CONTEXT: join(workspace, 'context'),
            REGISTRY_TYPE: 'oci-layout',
            REGISTRY_URL: join(workspace, 'registry'),
            REPOSITORY: 'shared',
          },
        },
      ),
    );
    await Promise.all(writers);
    const shared = new OciLayoutRegistry(join(workspace, 'registry'), { baseDir: '/' });
    expect(await shared.listTags('shared')).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    // No temporary files or lock left behind.
    expect(readdirSync(join(workspace, 'registry', 'shared')).sort()).toEqual([
      'blobs',
      'index.json',
      'oci-layout',
    ]);
  } finally {
    removeDir(workspace);
  }
});

test('a crashed writer (stale lock, half-written temp file) does not block or corrupt the next one', async () => {
  const repoDir = join(dir, 'registry', 'moves');
  writeFileSync(join(repoDir, 'index.json.tmp-99999-deadbeef'), '{"schemaVersion":2,"manif');
  writeFileSync(join(repoDir, 'index.json.lock'), '99999');
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(repoDir, 'index.json.lock'), old, old);
  const quick = new OciLayoutRegistry(join(dir, 'registry'), { baseDir: '/', lockTimeoutMs: 500 });
  const manifest = (await quick.getManifest('moves', 'dev'))!;
  await quick.putManifest('moves', 'after-crash', manifest);
  expect((await quick.resolve('moves', 'after-crash'))?.digest).toBe(manifest.digest);
  expect(await quick.listTags('moves')).toContain('dev');
});

test('a live lock held too long is an error, not a silent overwrite', async () => {
  const repoDir = join(dir, 'registry', 'moves');
  writeFileSync(join(repoDir, 'index.json.lock'), 'live');
  const quick = new OciLayoutRegistry(join(dir, 'registry'), { baseDir: '/', lockTimeoutMs: 300 });
  const manifest = (await quick.getManifest('moves', 'dev'))!;
  const slow = quick.putManifest('moves', 'blocked', manifest);
  // Keep the lock fresh, as a live writer would.
  const keep = setInterval(() => utimesSync(join(repoDir, 'index.json.lock'), new Date(), new Date()), 50);
  await expect(slow).rejects.toThrow(/is held by another writer/);
  clearInterval(keep);
  expect(await quick.exists('moves', 'blocked')).toBe(false);
  removeDir(join(repoDir, 'index.json.lock'));
});
