/**
 * A loopback Amazon ECR that speaks the real wire protocol (AWS JSON 1.1, `X-Amz-Target:
 * AmazonEC2ContainerRegistry_V20150921.<Operation>`), so the real AWS SDK client — its
 * signing, serialisation, retries and error mapping — runs against it. Point the SDK at it with
 * AWS_ENDPOINT_URL_ECR=<endpoint>. Holds images in memory; repositories can be immutable;
 * ListImages pages are small so pagination is exercised; throttling can be injected.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

export interface FakeEcrRepository {
  immutable: boolean;
  /** digest → manifest text and media type */
  images: Map<string, { manifest: string; mediaType: string }>;
  tags: Map<string, string>;
}

export interface FakeEcrCall {
  operation: string;
  body: Record<string, unknown>;
  status: number;
  signed: boolean;
}

export interface FakeEcr {
  endpoint: string;
  registryId: string;
  repositories: Map<string, FakeEcrRepository>;
  calls: FakeEcrCall[];
  /** Answer the next N calls of an operation with ThrottlingException. */
  throttle(operation: string, times: number): void;
  createRepository(name: string, options?: { immutable?: boolean }): FakeEcrRepository;
  stop(): Promise<void>;
}

class EcrError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function digestOf(text: string): string {
  return `sha256:${createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex')}`;
}

export async function startFakeEcr(
  options: { registryId?: string; pageSize?: number } = {},
): Promise<FakeEcr> {
  const registryId = options.registryId ?? '123456789012';
  const pageSize = options.pageSize ?? 2;
  const repositories = new Map<string, FakeEcrRepository>();
  const calls: FakeEcrCall[] = [];
  const throttles = new Map<string, number>();

  const repo = (body: Record<string, unknown>): FakeEcrRepository => {
    const name = String(body.repositoryName);
    const found = repositories.get(name);
    if (!found)
      throw new EcrError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
      );
    return found;
  };

  const imageOut = (name: string, digest: string, tag: string | undefined, r: FakeEcrRepository) => {
    const image = r.images.get(digest)!;
    return {
      registryId,
      repositoryName: name,
      imageId: { imageDigest: digest, ...(tag ? { imageTag: tag } : {}) },
      imageManifest: image.manifest,
      imageManifestMediaType: image.mediaType,
    };
  };

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    BatchGetImage(body) {
      const r = repo(body);
      const images: unknown[] = [];
      const failures: unknown[] = [];
      for (const id of (body.imageIds as { imageTag?: string; imageDigest?: string }[]) ?? []) {
        const digest = id.imageDigest ?? (id.imageTag ? r.tags.get(id.imageTag) : undefined);
        if (digest && r.images.has(digest) && (!id.imageTag || r.tags.get(id.imageTag) === digest))
          images.push(imageOut(String(body.repositoryName), digest, id.imageTag, r));
        else
          failures.push({
            imageId: id,
            failureCode: 'ImageNotFound',
            failureReason: 'Requested image not found',
          });
      }
      return { images, failures };
    },
    PutImage(body) {
      const r = repo(body);
      const manifest = String(body.imageManifest);
      const digest = digestOf(manifest);
      if (body.imageDigest && body.imageDigest !== digest)
        throw new EcrError(
          'InvalidParameterException',
          `Invalid parameter at 'imageDigest' failed to satisfy constraint: does not match the manifest`,
        );
      const tag = body.imageTag as string | undefined;
      const current = tag ? r.tags.get(tag) : undefined;
      if ((tag && current === digest) || (!tag && r.images.has(digest)))
        throw new EcrError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}'${tag ? ` and tag '${tag}'` : ''} already exists in the repository with name '${String(body.repositoryName)}' in registry with id '${registryId}'`,
        );
      if (tag && current && r.immutable)
        throw new EcrError(
          'ImageTagAlreadyExistsException',
          `The image tag '${tag}' already exists in the '${String(body.repositoryName)}' repository and cannot be overwritten because the repository is immutable.`,
        );
      r.images.set(digest, { manifest, mediaType: String(body.imageManifestMediaType ?? '') });
      if (tag) r.tags.set(tag, digest);
      return { image: imageOut(String(body.repositoryName), digest, tag, r) };
    },
    ListImages(body) {
      const r = repo(body);
      const all = [...r.tags.entries()].sort().map(([imageTag, imageDigest]) => ({ imageDigest, imageTag }));
      const start = body.nextToken ? Number(String(body.nextToken).replace('page-', '')) : 0;
      const size = Math.min(pageSize, Number(body.maxResults ?? pageSize));
      const page = all.slice(start, start + size);
      return { imageIds: page, ...(start + size < all.length ? { nextToken: `page-${start + size}` } : {}) };
    },
    DescribeImages(body) {
      const r = repo(body);
      const details = ((body.imageIds as { imageDigest?: string; imageTag?: string }[]) ?? []).map((id) => {
        const digest = id.imageDigest ?? (id.imageTag ? r.tags.get(id.imageTag) : undefined);
        if (!digest || !r.images.has(digest))
          throw new EcrError(
            'ImageNotFoundException',
            `The image with imageId ${JSON.stringify(id)} does not exist`,
          );
        return {
          registryId,
          repositoryName: body.repositoryName,
          imageDigest: digest,
          imageTags: [...r.tags.entries()].filter(([, d]) => d === digest).map(([t]) => t),
          imageManifestMediaType: r.images.get(digest)!.mediaType,
        };
      });
      return { imageDetails: details };
    },
    GetAuthorizationToken() {
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from('AWS:fake-ecr-password').toString('base64'),
            expiresAt: Math.floor(Date.now() / 1000) + 43200,
            proxyEndpoint: `https://${registryId}.dkr.ecr.us-east-1.amazonaws.com`,
          },
        ],
      };
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // answered below as a serialization error
      }
      const send = (status: number, payload: unknown, errorType?: string) => {
        calls.push({
          operation,
          body,
          status,
          signed: /^AWS4-HMAC-SHA256 /.test(String(req.headers.authorization)),
        });
        const text = JSON.stringify(payload);
        res.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': `req-${calls.length}`,
          ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
        });
        res.end(text);
      };
      const handler = operations[operation];
      if (!handler || req.headers['content-type'] !== 'application/x-amz-json-1.1')
        return send(
          400,
          { __type: 'UnknownOperationException', message: `unknown ${target}` },
          'UnknownOperationException',
        );
      const pending = throttles.get(operation) ?? 0;
      if (pending > 0) {
        throttles.set(operation, pending - 1);
        return send(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
      }
      try {
        send(200, handler(body));
      } catch (err) {
        if (err instanceof EcrError) send(400, { __type: err.type, message: err.message }, err.type);
        else send(500, { __type: 'ServerException', message: String(err) }, 'ServerException');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    registryId,
    repositories,
    calls,
    throttle: (operation, times) => throttles.set(operation, times),
    createRepository(name, opts = {}) {
      const r: FakeEcrRepository = { immutable: opts.immutable ?? false, images: new Map(), tags: new Map() };
      repositories.set(name, r);
      return r;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
