/** The one interface every driver implements. Repositories are names under the registry's url. */
import type { RegistryType } from '@sd-actions/core';

export interface ResolvedRef {
  digest: string;
  mediaType: string;
  size: number;
}

/** A manifest exactly as stored: these bytes are what the digest is of, and what gets written back. */
export interface Manifest extends ResolvedRef {
  bytes: Buffer;
}

export interface Registry {
  readonly type: RegistryType;
  /** Where an image lives, for messages and outputs, e.g. "127.0.0.1:5000/acme/blue". */
  imageName(repository: string): string;
  /** Tag or digest → digest and media type; undefined when it does not exist. */
  resolve(repository: string, reference: string): Promise<ResolvedRef | undefined>;
  /** The exact manifest bytes (verified against their digest); undefined when absent. */
  getManifest(repository: string, reference: string): Promise<Manifest | undefined>;
  /** Put these exact bytes, with their media type, under `tag`. Returns the digest the registry stored. */
  putManifest(repository: string, tag: string, manifest: Manifest): Promise<string>;
  listTags(repository: string): Promise<string[]>;
  exists(repository: string, reference: string): Promise<boolean>;
  /**
   * Every tag pointing at `digest` (ECR and oci-layout know this directly; oci lists and resolves).
   * `known`: tags whose digest the caller has just read or written; oci does not resolve them again.
   */
  tagsOf(repository: string, digest: string, known?: ReadonlyMap<string, string>): Promise<string[]>;
  /** Release sockets/SDK clients. */
  close?(): Promise<void>;
}

/** Drivers that can also store blobs (image builders and test fixtures need this; retagging never does). */
export interface BlobStore {
  hasBlob(repository: string, digest: string): Promise<boolean>;
  putBlob(repository: string, bytes: Uint8Array, digest?: string): Promise<string>;
  /** Store a manifest without a tag (the platform manifests of an index). */
  putManifestByDigest(repository: string, manifest: Manifest): Promise<string>;
}

export interface Credentials {
  username?: string;
  password?: string;
}

export function isBlobStore(value: unknown): value is BlobStore {
  return (
    typeof (value as BlobStore).putBlob === 'function' && typeof (value as BlobStore).hasBlob === 'function'
  );
}
