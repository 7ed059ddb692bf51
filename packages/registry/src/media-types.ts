/**
 * Manifest media types the drivers read and write, and what a manifest refers to. Pure.
 */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Every manifest kind we accept, most specific first; sent as Accept so registries never down-convert. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.dockerManifestList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerManifest,
];

export const ACCEPT_HEADER = MANIFEST_MEDIA_TYPES.join(', ');

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MEDIA_TYPES.ociIndex || mediaType === MEDIA_TYPES.dockerManifestList;
}

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** Strip parameters (`; charset=utf-8`) a server may add to Content-Type. */
export function baseMediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
}

interface ManifestJson {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/**
 * The media type a manifest declares in its own body, for stores (oci-layout) that do not keep a
 * Content-Type. Older OCI manifests omit `mediaType`; their shape tells.
 */
export function mediaTypeOfManifest(bytes: Uint8Array): string | undefined {
  const json = parseManifest(bytes);
  if (!json) return undefined;
  if (typeof json.mediaType === 'string') return json.mediaType;
  if (Array.isArray(json.manifests)) return MEDIA_TYPES.ociIndex;
  if (json.config) return MEDIA_TYPES.ociManifest;
  return undefined;
}

export function parseManifest(bytes: Uint8Array): ManifestJson | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as ManifestJson) : undefined;
  } catch {
    return undefined;
  }
}

/** The platform manifests an index lists (empty for a single manifest). */
export function childManifests(bytes: Uint8Array): Descriptor[] {
  return parseManifest(bytes)?.manifests ?? [];
}

/** The blobs a single-platform manifest needs: its config and layers. */
export function blobsOf(bytes: Uint8Array): Descriptor[] {
  const json = parseManifest(bytes);
  if (!json) return [];
  return [...(json.config ? [json.config] : []), ...(json.layers ?? [])];
}
