/**
 * Small but real container images — a gzipped tar layer, a config, a manifest — for the demo and
 * for test fixtures: single-platform (OCI or Docker schema 2), OCI indexes and Docker manifest
 * lists. Building is pure; `pushImage` writes through any driver that can store blobs.
 */
import { gzipSync } from 'node:zlib';
import {
  MEDIA_TYPES,
  sha256Digest,
  type BlobStore,
  type Descriptor,
  type Manifest,
  type Registry,
} from '@sd-actions/registry';
import { tar, type TarEntry } from './tar.js';

export type Flavour = 'oci' | 'docker';

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface BuiltImage {
  /** Blobs the manifest needs (config and layers). */
  blobs: Buffer[];
  /** Child manifests an index needs, stored before it. */
  children: Manifest[];
  manifest: Manifest;
}

export interface ImageSpec {
  files: TarEntry[];
  labels?: Record<string, string>;
  platform?: Platform;
  flavour?: Flavour;
}

function manifestOf(json: unknown, mediaType: string): Manifest {
  const bytes = Buffer.from(JSON.stringify(json, null, 2));
  return { bytes, mediaType, digest: sha256Digest(bytes), size: bytes.length };
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const flavour = spec.flavour ?? 'oci';
  const platform = spec.platform ?? { architecture: 'amd64', os: 'linux' };
  const layerTar = tar(spec.files);
  // Fixed gzip header (mtime 0, no name): the same files give the same layer digest everywhere.
  const layer = gzipSync(layerTar, { level: 9 });
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Labels: spec.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [sha256Digest(layerTar)] },
      history: [{ created_by: 'sd-actions sample image' }],
    }),
  );
  const docker = flavour === 'docker';
  const mediaType = docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
  const manifest = manifestOf(
    {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig,
        digest: sha256Digest(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip,
          digest: sha256Digest(layer),
          size: layer.length,
        },
      ],
      ...(!docker && spec.labels && Object.keys(spec.labels).length > 0 ? { annotations: spec.labels } : {}),
    },
    mediaType,
  );
  return { blobs: [config, layer], children: [], manifest };
}

/** A multi-platform image: an OCI index or a Docker manifest list over one image per platform. */
export function buildIndex(
  images: { image: BuiltImage; platform: Platform }[],
  flavour: Flavour = 'oci',
): BuiltImage {
  const mediaType = flavour === 'docker' ? MEDIA_TYPES.dockerManifestList : MEDIA_TYPES.ociIndex;
  const manifests: Descriptor[] = images.map(({ image, platform }) => ({
    mediaType: image.manifest.mediaType,
    digest: image.manifest.digest,
    size: image.manifest.size,
    platform,
  }));
  return {
    blobs: images.flatMap(({ image }) => image.blobs),
    children: images.map(({ image }) => image.manifest),
    manifest: manifestOf({ schemaVersion: 2, mediaType, manifests }, mediaType),
  };
}

/** Store blobs, then platform manifests (by digest), then the top manifest under `tag`. */
export async function pushImage(
  registry: Registry & BlobStore,
  repository: string,
  tag: string,
  image: BuiltImage,
): Promise<string> {
  for (const blob of image.blobs) await registry.putBlob(repository, blob);
  // Registries accept a manifest only when all it refers to is there: platform manifests first, untagged.
  for (const child of image.children) await registry.putManifestByDigest(repository, child);
  return registry.putManifest(repository, tag, image.manifest);
}
