/**
 * The embedded registry: a directory holding one OCI image layout per repository
 * (`<root>/<repository>/{oci-layout,index.json,blobs/sha256/…}`), readable by skopeo, crane,
 * oras and friends (`oci:<root>/<repository>:<tag>`). Tags are `org.opencontainers.image.ref.name`
 * annotations on index.json entries.
 *
 * Every file is written to a temporary name and renamed into place, and index.json updates are
 * serialised by a lock file, so concurrent or killed writers never leave a torn or lost index.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '@sd-actions/core';
import { checkReference, checkRepository, checkTag, isDigest, verifyDigest } from './digest.js';
import {
  blobsOf,
  childManifests,
  isManifestMediaType,
  mediaTypeOfManifest,
  MEDIA_TYPES,
  type Descriptor,
} from './media-types.js';
import type { BlobStore, Manifest, Registry, ResolvedRef } from './types.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexJson {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  [key: string]: unknown;
}

export interface LayoutOptions {
  /** Relative urls are resolved against this directory (the workspace). */
  baseDir: string;
  /** How long to wait for another writer's lock before giving up, ms. */
  lockTimeoutMs?: number;
}

export class OciLayoutRegistry implements Registry, BlobStore {
  readonly type = 'oci-layout' as const;
  readonly root: string;
  private readonly lockTimeoutMs: number;

  constructor(
    readonly url: string,
    options: LayoutOptions,
  ) {
    this.root = isAbsolute(url) ? url : resolve(options.baseDir, url);
    this.lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  }

  imageName(repository: string): string {
    return `${this.url.replace(/\/+$/, '')}/${repository}`;
  }

  /** The layout directory of one repository. */
  dir(repository: string): string {
    checkRepository(repository, 'repository');
    return join(this.root, repository);
  }

  private blobPath(repository: string, digest: string): string {
    return join(this.dir(repository), 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  private async readIndex(repository: string): Promise<IndexJson | undefined> {
    const file = join(this.dir(repository), 'index.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const index = JSON.parse(text) as IndexJson;
      if (!Array.isArray(index.manifests)) throw new Error('no manifests array');
      return index;
    } catch (err) {
      throw new UserError(`${file} is not a valid OCI image index: ${(err as Error).message}`);
    }
  }

  private async readBlob(repository: string, digest: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.blobPath(repository, digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async resolve(repository: string, reference: string): Promise<ResolvedRef | undefined> {
    checkReference(reference, `${this.imageName(repository)} reference`);
    const index = await this.readIndex(repository);
    if (isDigest(reference)) {
      const listed = index?.manifests.find((m) => m.digest === reference);
      if (listed) return { digest: listed.digest, mediaType: listed.mediaType, size: listed.size };
      // Platform manifests of an index live only as blobs.
      const bytes = await this.readBlob(repository, reference);
      const mediaType = bytes && mediaTypeOfManifest(bytes);
      return bytes && mediaType ? { digest: reference, mediaType, size: bytes.length } : undefined;
    }
    const entry = index?.manifests.find((m) => m.annotations?.[REF_NAME] === reference);
    return entry ? { digest: entry.digest, mediaType: entry.mediaType, size: entry.size } : undefined;
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    const ref = await this.resolve(repository, reference);
    if (!ref) return undefined;
    const bytes = await this.readBlob(repository, ref.digest);
    if (!bytes)
      throw new UserError(
        `${this.imageName(repository)}:${reference} points at ${ref.digest}, whose blob is missing from ${this.dir(repository)}`,
      );
    verifyDigest(bytes, ref.digest, `${this.imageName(repository)}@${ref.digest}`);
    return { ...ref, size: bytes.length, bytes };
  }

  async exists(repository: string, reference: string): Promise<boolean> {
    return (await this.resolve(repository, reference)) !== undefined;
  }

  async listTags(repository: string): Promise<string[]> {
    const index = await this.readIndex(repository);
    const tags = (index?.manifests ?? [])
      .map((m) => m.annotations?.[REF_NAME])
      .filter((t) => t !== undefined);
    return [...new Set(tags)].sort();
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    const index = await this.readIndex(repository);
    return (index?.manifests ?? [])
      .filter((m) => m.digest === digest && m.annotations?.[REF_NAME] !== undefined)
      .map((m) => m.annotations![REF_NAME]!)
      .sort();
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    try {
      await stat(this.blobPath(repository, digest));
      return true;
    } catch {
      return false;
    }
  }

  async putBlob(repository: string, bytes: Uint8Array, digest?: string): Promise<string> {
    const actual = verifyDigest(bytes, digest ?? '', `blob for ${this.imageName(repository)}`);
    await this.ensureLayout(repository);
    const path = this.blobPath(repository, actual);
    if (!(await this.hasBlob(repository, actual))) await atomicWrite(path, bytes);
    return actual;
  }

  async putManifestByDigest(repository: string, manifest: Manifest): Promise<string> {
    return this.putBlob(repository, manifest.bytes, manifest.digest);
  }

  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    const name = this.imageName(repository);
    checkTag(tag, `${name} tag`);
    if (!isManifestMediaType(manifest.mediaType))
      throw new UserError(
        `${name}:${tag}: ${JSON.stringify(manifest.mediaType)} is not a manifest media type`,
      );
    const digest = verifyDigest(manifest.bytes, manifest.digest, `${name}:${tag}`);
    // A layout must stay self-contained: everything the manifest refers to has to be here already.
    for (const child of [...childManifests(manifest.bytes), ...blobsOf(manifest.bytes)]) {
      if (!(await this.hasBlob(repository, child.digest)))
        throw new UserError(
          `${name}:${tag}: the manifest refers to ${child.digest} (${child.mediaType}), which is not in ${this.dir(repository)}`,
        );
    }
    await this.putBlob(repository, manifest.bytes, digest);
    await this.withIndexLock(repository, async () => {
      const index = (await this.readIndex(repository)) ?? {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociIndex,
        manifests: [],
      };
      const current = index.manifests.find((m) => m.annotations?.[REF_NAME] === tag);
      if (current?.digest === digest) return;
      index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
      index.manifests.push({
        mediaType: manifest.mediaType,
        digest,
        size: manifest.bytes.length,
        annotations: { [REF_NAME]: tag },
      });
      await atomicWrite(join(this.dir(repository), 'index.json'), JSON.stringify(index, null, 2) + '\n');
    });
    return digest;
  }

  private async ensureLayout(repository: string): Promise<void> {
    const dir = this.dir(repository);
    await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
    const marker = join(dir, 'oci-layout');
    try {
      await stat(marker);
    } catch {
      await atomicWrite(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }) + '\n');
    }
  }

  /** Serialise index.json read-modify-write across processes; a lock older than the timeout is stale (a killed writer). */
  private async withIndexLock<T>(repository: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(this.dir(repository), 'index.json.lock');
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        if (age > this.lockTimeoutMs) {
          await rm(lock, { force: true });
          continue;
        }
        if (Date.now() - started > this.lockTimeoutMs)
          throw new UserError(`${lock} is held by another writer for over ${this.lockTimeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

/** Write to a unique temporary name beside the target, then rename: readers see the old or the new file, never a torn one. */
export async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
