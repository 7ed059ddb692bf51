/**
 * Amazon ECR through its own API (BatchGetImage / PutImage / ListImages / DescribeImages), so a
 * retag moves only the manifest and works with IAM alone. The SDK is imported on first use only:
 * actions on other registries never load it.
 *
 * ECR specifics: PutImage of a digest already under that tag is ImageAlreadyExistsException —
 * for a re-run that is success. An immutable repository refuses to move a tag with
 * ImageTagAlreadyExistsException, reported naming both digests.
 */
import type * as EcrSdk from '@aws-sdk/client-ecr';
import { UserError } from '@sd-actions/core';
import { checkReference, checkRepository, checkTag, isDigest, verifyDigest } from './digest.js';
import { MANIFEST_MEDIA_TYPES, mediaTypeOfManifest } from './media-types.js';
import { OciRegistry } from './oci.js';
import type { BlobStore, Credentials, Manifest, Registry, ResolvedRef } from './types.js';

const ECR_URL = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

export interface EcrOptions {
  /** SDK attempts in all (the SDK backs off on throttling and 5xx itself). */
  maxAttempts?: number;
}

export class EcrRegistry implements Registry, BlobStore {
  readonly type = 'ecr' as const;
  readonly registryId: string;
  readonly region: string;
  private sdk?: Promise<{ sdk: typeof EcrSdk; client: EcrSdk.ECRClient }>;
  private blobs?: OciRegistry;

  constructor(
    readonly url: string,
    private readonly options: EcrOptions = {},
  ) {
    const m = ECR_URL.exec(url);
    if (!m)
      throw new UserError(
        `registry.url: ${JSON.stringify(url)} is not an ECR registry; expected <account-id>.dkr.ecr.<region>.amazonaws.com`,
      );
    this.registryId = m[1]!;
    this.region = m[2]!;
  }

  imageName(repository: string): string {
    return `${this.url}/${repository}`;
  }

  private load(): Promise<{ sdk: typeof EcrSdk; client: EcrSdk.ECRClient }> {
    this.sdk ??= import('@aws-sdk/client-ecr').then((sdk) => ({
      sdk,
      // The endpoint comes from the usual AWS settings (AWS_ENDPOINT_URL_ECR included).
      client: new sdk.ECRClient({ region: this.region, maxAttempts: this.options.maxAttempts ?? 5 }),
    }));
    return this.sdk;
  }

  private async call<T>(
    what: string,
    repository: string,
    run: (sdk: typeof EcrSdk, client: EcrSdk.ECRClient) => Promise<T>,
  ): Promise<T> {
    const { sdk, client } = await this.load();
    try {
      return await run(sdk, client);
    } catch (err) {
      throw asUserError(err, `ECR ${what} ${this.imageName(repository)}`);
    }
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    checkRepository(repository, 'repository');
    checkReference(reference, `${this.imageName(repository)} reference`);
    const out = await this.call('BatchGetImage', repository, async (sdk, client) => {
      try {
        return await client.send(
          new sdk.BatchGetImageCommand({
            registryId: this.registryId,
            repositoryName: repository,
            imageIds: [isDigest(reference) ? { imageDigest: reference } : { imageTag: reference }],
            acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
          }),
        );
      } catch (err) {
        if ((err as Error).name === 'RepositoryNotFoundException') return undefined;
        throw err;
      }
    });
    const image = out?.images?.[0];
    if (!image?.imageManifest) {
      const failure = out?.failures?.[0];
      if (
        !failure ||
        failure.failureCode === 'ImageNotFound' ||
        failure.failureCode === 'ImageTagDoesNotMatchDigest'
      )
        return undefined;
      throw new UserError(
        `ECR BatchGetImage ${this.imageName(repository)}:${reference}: ${failure.failureCode}: ${failure.failureReason ?? ''}`,
      );
    }
    const bytes = Buffer.from(image.imageManifest, 'utf8');
    const expected = image.imageId?.imageDigest ?? (isDigest(reference) ? reference : '');
    const digest = verifyDigest(bytes, expected, `${this.imageName(repository)}:${reference}`);
    const mediaType = image.imageManifestMediaType ?? mediaTypeOfManifest(bytes) ?? '';
    return { digest, mediaType, size: bytes.length, bytes };
  }

  async resolve(repository: string, reference: string): Promise<ResolvedRef | undefined> {
    const manifest = await this.getManifest(repository, reference);
    return manifest && { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
  }

  async exists(repository: string, reference: string): Promise<boolean> {
    return (await this.resolve(repository, reference)) !== undefined;
  }

  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    checkRepository(repository, 'repository');
    checkTag(tag, `${this.imageName(repository)} tag`);
    const where = `${this.imageName(repository)}:${tag}`;
    const digest = verifyDigest(manifest.bytes, manifest.digest, where);
    const text = manifest.bytes.toString('utf8');
    // PutImage takes a string: only bytes that survive the UTF-8 round trip can keep their digest.
    if (!Buffer.from(text, 'utf8').equals(manifest.bytes))
      throw new UserError(`${where}: the manifest is not valid UTF-8, so ECR cannot store it byte for byte`);
    const { sdk, client } = await this.load();
    try {
      const out = await client.send(
        new sdk.PutImageCommand({
          registryId: this.registryId,
          repositoryName: repository,
          imageManifest: text,
          imageManifestMediaType: manifest.mediaType,
          imageTag: tag,
          imageDigest: digest,
        }),
      );
      const stored = out.image?.imageId?.imageDigest;
      if (stored && stored !== digest)
        throw new UserError(`${where}: ECR stored ${stored} for bytes whose digest is ${digest}`);
      return digest;
    } catch (err) {
      const name = (err as Error).name;
      // Same digest, same tag: a re-run. Nothing to do, and nothing wrong.
      if (name === 'ImageAlreadyExistsException') return digest;
      if (name === 'ImageTagAlreadyExistsException') {
        const current = await this.resolve(repository, tag).catch(() => undefined);
        throw new UserError(
          `${where}: the ECR repository has immutable tags and ${tag} already points at ${current?.digest ?? 'another digest'}; refusing to point it at ${digest} (${(err as Error).message})`,
        );
      }
      if (err instanceof UserError) throw err;
      throw asUserError(err, `ECR PutImage ${where}`);
    }
  }

  async listTags(repository: string): Promise<string[]> {
    checkRepository(repository, 'repository');
    return this.call('ListImages', repository, async (sdk, client) => {
      const tags = new Set<string>();
      let nextToken: string | undefined;
      do {
        let out: EcrSdk.ListImagesCommandOutput;
        try {
          out = await client.send(
            new sdk.ListImagesCommand({
              registryId: this.registryId,
              repositoryName: repository,
              filter: { tagStatus: 'TAGGED' },
              maxResults: 1000,
              nextToken,
            }),
          );
        } catch (err) {
          if ((err as Error).name === 'RepositoryNotFoundException') return [];
          throw err;
        }
        for (const id of out.imageIds ?? []) if (id.imageTag) tags.add(id.imageTag);
        nextToken = out.nextToken;
      } while (nextToken);
      return [...tags].sort();
    });
  }

  async tagsOf(repository: string, digest: string): Promise<string[]> {
    checkRepository(repository, 'repository');
    return this.call('DescribeImages', repository, async (sdk, client) => {
      const tags = new Set<string>();
      let nextToken: string | undefined;
      do {
        let out: EcrSdk.DescribeImagesCommandOutput;
        try {
          out = await client.send(
            new sdk.DescribeImagesCommand({
              registryId: this.registryId,
              repositoryName: repository,
              imageIds: [{ imageDigest: digest }],
              nextToken,
            }),
          );
        } catch (err) {
          const name = (err as Error).name;
          if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return [];
          throw err;
        }
        for (const detail of out.imageDetails ?? []) for (const t of detail.imageTags ?? []) tags.add(t);
        nextToken = out.nextToken;
      } while (nextToken);
      return [...tags].sort();
    });
  }

  /** Docker-style credentials for the registry's Distribution API, from GetAuthorizationToken. */
  async dockerCredentials(): Promise<Credentials> {
    const out = await this.call('GetAuthorizationToken', '', (sdk, client) =>
      client.send(new sdk.GetAuthorizationTokenCommand({})),
    );
    const token = out.authorizationData?.[0]?.authorizationToken;
    if (!token) throw new UserError(`ECR GetAuthorizationToken for ${this.url} returned no token`);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  /** Blob uploads go through the Distribution API with a token from GetAuthorizationToken. */
  private async oci(): Promise<OciRegistry> {
    if (!this.blobs) {
      const registry = new OciRegistry(this.url, false);
      registry.setCredentials(await this.dockerCredentials());
      this.blobs = registry;
    }
    return this.blobs;
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    return (await this.oci()).hasBlob(repository, digest);
  }

  async putBlob(repository: string, bytes: Uint8Array, digest?: string): Promise<string> {
    return (await this.oci()).putBlob(repository, bytes, digest);
  }

  async putManifestByDigest(repository: string, manifest: Manifest): Promise<string> {
    return (await this.oci()).putManifestByDigest(repository, manifest);
  }

  async close(): Promise<void> {
    if (this.sdk) (await this.sdk).client.destroy();
  }
}

/** AWS service errors carry their own name and message: pass them on verbatim. */
function asUserError(err: unknown, what: string): Error {
  if (err instanceof UserError) return err;
  const e = err as { name?: string; message?: string; $metadata?: unknown; code?: string };
  if (e.$metadata !== undefined || e.code !== undefined || e.name === 'CredentialsProviderError')
    return new UserError(`${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
  return err as Error;
}
