/**
 * The OCI Distribution API driver, for any registry: GHCR, Docker Hub, Harbor, ECR, a local
 * docker-registry. Node's global fetch, no extra dependencies. Anonymous, basic and bearer-token
 * auth; transient faults retried (retry.ts); any other refusal fails at once with the
 * registry's own error text. Manifests travel as exact bytes with their own Content-Type.
 */
import { UserError } from '@sd-actions/core';
import { parseChallenges, repositoryScope, type Challenge } from './auth-challenge.js';
import { defaultRetryPolicy, isTransientStatus, parseRetryAfter, type RetryPolicy } from './backoff.js';
import { checkReference, checkRepository, checkTag, isDigest, verifyDigest } from './digest.js';
import { ACCEPT_HEADER, baseMediaType, isManifestMediaType, mediaTypeOfManifest } from './media-types.js';
import { TransientError, withRetry } from './retry.js';
import type { BlobStore, Credentials, Manifest, Registry, ResolvedRef } from './types.js';

export interface OciOptions {
  credentials?: Credentials;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout, ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  url: string;
}

interface Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  /** Path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | Uint8Array;
  repository: string;
  push: boolean;
}

/** How many tags are resolved at once when working out every tag of a digest. */
const TAG_RESOLVE_CONCURRENCY = 8;

export class OciRegistry implements Registry, BlobStore {
  readonly type: 'oci' | 'ecr' = 'oci';
  readonly host: string;
  readonly namespace: string;
  private readonly base: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private credentials?: Credentials;
  /** Bearer tokens by realm|service|scope. */
  private readonly tokens = new Map<string, string>();
  /** The Authorization header that last worked for a repository (pull, or pull+push). */
  private readonly known = new Map<string, string>();
  private basic?: string;

  constructor(
    readonly url: string,
    readonly insecure: boolean,
    options: OciOptions = {},
  ) {
    const slash = url.indexOf('/');
    this.host = slash < 0 ? url : url.slice(0, slash);
    this.namespace = slash < 0 ? '' : url.slice(slash + 1).replace(/\/+$/, '');
    // Plain http only when the config says so; otherwise TLS, always.
    this.base = `${insecure ? 'http' : 'https'}://${this.host}`;
    this.retry = defaultRetryPolicy(options.retry);
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.credentials = options.credentials;
  }

  /** Credentials may arrive late (ECR fetches them on first use). */
  setCredentials(credentials: Credentials | undefined): void {
    this.credentials = credentials;
    this.basic = undefined;
    this.tokens.clear();
    this.known.clear();
  }

  imageName(repository: string): string {
    return `${this.url}/${repository}`;
  }

  private name(repository: string): string {
    checkRepository(repository, 'repository');
    return this.namespace ? `${this.namespace}/${repository}` : repository;
  }

  async resolve(repository: string, reference: string): Promise<ResolvedRef | undefined> {
    checkReference(reference, `${this.imageName(repository)} reference`);
    const reply = await this.send({
      method: 'HEAD',
      path: `/v2/${this.name(repository)}/manifests/${reference}`,
      headers: { Accept: ACCEPT_HEADER },
      repository,
      push: false,
    });
    if (reply.status === 404) return undefined;
    this.expect(reply, [200], 'HEAD', repository, reference);
    const digest =
      reply.headers.get('docker-content-digest') ?? (isDigest(reference) ? reference : undefined);
    const mediaType = baseMediaType(reply.headers.get('content-type'));
    // Some registries omit the digest or type on HEAD; the manifest itself settles it.
    if (!digest || !isManifestMediaType(mediaType)) {
      const manifest = await this.getManifest(repository, reference);
      return manifest && { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.size };
    }
    return { digest, mediaType, size: Number(reply.headers.get('content-length') ?? 0) };
  }

  async getManifest(repository: string, reference: string): Promise<Manifest | undefined> {
    checkReference(reference, `${this.imageName(repository)} reference`);
    const reply = await this.send({
      method: 'GET',
      path: `/v2/${this.name(repository)}/manifests/${reference}`,
      headers: { Accept: ACCEPT_HEADER },
      repository,
      push: false,
    });
    if (reply.status === 404) return undefined;
    this.expect(reply, [200], 'GET', repository, reference);
    const where = `${this.imageName(repository)}:${reference}`;
    const announced = reply.headers.get('docker-content-digest');
    const digest = verifyDigest(reply.body, isDigest(reference) ? reference : (announced ?? ''), where);
    if (announced && announced !== digest) verifyDigest(reply.body, announced, where);
    let mediaType = baseMediaType(reply.headers.get('content-type'));
    if (!isManifestMediaType(mediaType)) mediaType = mediaTypeOfManifest(reply.body) ?? mediaType;
    return { digest, mediaType, size: reply.body.length, bytes: reply.body };
  }

  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    checkTag(tag, `${this.imageName(repository)} tag`);
    return this.put(repository, tag, manifest);
  }

  async putManifestByDigest(repository: string, manifest: Manifest): Promise<string> {
    return this.put(repository, manifest.digest, manifest);
  }

  private async put(repository: string, reference: string, manifest: Manifest): Promise<string> {
    const where = `${this.imageName(repository)}:${reference}`;
    const digest = verifyDigest(manifest.bytes, manifest.digest, where);
    const reply = await this.send({
      method: 'PUT',
      path: `/v2/${this.name(repository)}/manifests/${reference}`,
      headers: { 'Content-Type': manifest.mediaType },
      body: manifest.bytes,
      repository,
      push: true,
    });
    this.expect(reply, [200, 201], 'PUT', repository, reference);
    const stored = reply.headers.get('docker-content-digest');
    if (stored && stored !== digest)
      throw new UserError(`${where}: the registry stored ${stored} for bytes whose digest is ${digest}`);
    return digest;
  }

  async exists(repository: string, reference: string): Promise<boolean> {
    return (await this.resolve(repository, reference)) !== undefined;
  }

  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${this.name(repository)}/tags/list?n=1000`;
    while (path) {
      const reply = await this.send({ method: 'GET', path, repository, push: false });
      if (reply.status === 404) return [];
      this.expect(reply, [200], 'GET', repository, 'tags/list');
      const body = JSON.parse(reply.body.toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      path = nextLink(reply.headers.get('link'), reply.url);
    }
    return [...new Set(tags)].sort();
  }

  async tagsOf(repository: string, digest: string, known?: ReadonlyMap<string, string>): Promise<string[]> {
    const listed = await this.listTags(repository);
    // A tag whose digest the caller already knows costs no manifest request.
    const found = listed.filter((t) => known?.get(t) === digest);
    const tags = listed.filter((t) => !known?.has(t));
    let next = 0;
    const worker = async () => {
      while (next < tags.length) {
        const tag = tags[next++]!;
        if ((await this.resolve(repository, tag))?.digest === digest) found.push(tag);
      }
    };
    await Promise.all(Array.from({ length: Math.min(TAG_RESOLVE_CONCURRENCY, tags.length) }, worker));
    return found.sort();
  }

  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const reply = await this.send({
      method: 'HEAD',
      path: `/v2/${this.name(repository)}/blobs/${digest}`,
      repository,
      push: false,
    });
    if (reply.status === 404) return false;
    this.expect(reply, [200], 'HEAD', repository, digest);
    return true;
  }

  async putBlob(repository: string, bytes: Uint8Array, digest?: string): Promise<string> {
    const actual = verifyDigest(bytes, digest ?? '', `blob for ${this.imageName(repository)}`);
    if (await this.hasBlob(repository, actual)) return actual;
    const start = await this.send({
      method: 'POST',
      path: `/v2/${this.name(repository)}/blobs/uploads/`,
      repository,
      push: true,
    });
    this.expect(start, [202], 'POST', repository, 'blobs/uploads');
    const location = new URL(start.headers.get('location') ?? '', start.url);
    location.searchParams.set('digest', actual);
    const done = await this.send({
      method: 'PUT',
      path: location.toString(),
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
      repository,
      push: true,
    });
    this.expect(done, [201, 204], 'PUT', repository, actual);
    return actual;
  }

  /** One request with auth and retries. 401 is answered once per attempt with fresh credentials. */
  private send(req: Request): Promise<Reply> {
    const url = /^https?:\/\//.test(req.path) ? req.path : `${this.base}${req.path}`;
    const shown = `${req.method} ${url.replace(/\?.*$/, '')}`;
    return withRetry(this.retry, `${this.host}: ${shown}`, async () => {
      let header = this.known.get(authKey(req)) ?? this.known.get(`${req.repository}|push`) ?? this.basic;
      let reply = await this.once(url, req, header);
      if (reply.status === 401) {
        const fresh = await this.authenticate(reply, req, header);
        if (fresh) {
          header = fresh;
          reply = await this.once(url, req, header);
        }
      }
      if (isTransientStatus(reply.status))
        throw new TransientError(
          `${reply.status} ${registryErrorText(reply)}`,
          parseRetryAfter(reply.headers.get('retry-after')),
        );
      if (reply.status === 401) {
        throw new UserError(
          `${this.host}: ${shown} was refused: ${registryErrorText(reply)}; ${
            this.credentials?.username
              ? 'the registry credentials were not accepted'
              : 'the registry needs credentials (registry-username / registry-password)'
          }`,
        );
      }
      if (header && reply.status < 400) this.known.set(authKey(req), header);
      return reply;
    });
  }

  private async once(url: string, req: Request, authorization: string | undefined): Promise<Reply> {
    const headers: Record<string, string> = { 'User-Agent': 'sd-actions', ...req.headers };
    if (authorization) headers.Authorization = authorization;
    const res = await this.fetch(url, {
      method: req.method,
      headers,
      body: req.body,
      redirect: 'follow',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = req.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, url: res.url || url };
  }

  /** Answer a 401 challenge: Basic from the credentials, or a Bearer token from the realm. */
  private async authenticate(
    reply: Reply,
    req: Request,
    used: string | undefined,
  ): Promise<string | undefined> {
    const challenges = parseChallenges(reply.headers.get('www-authenticate'));
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) return this.bearerToken(bearer, req, used);
    if (challenges.some((c) => c.scheme === 'basic') && this.credentials?.username) {
      const basic = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ''}`).toString('base64')}`;
      if (basic === used) return undefined;
      this.basic = basic;
      return basic;
    }
    return undefined;
  }

  private async bearerToken(
    challenge: Challenge,
    req: Request,
    used: string | undefined,
  ): Promise<string | undefined> {
    const { realm, service } = challenge.params;
    if (!realm) throw new UserError(`${this.host}: a Bearer challenge without a realm: cannot authenticate`);
    const scope = challenge.params.scope ?? repositoryScope(this.name(req.repository), req.push);
    const key = `${realm}|${service ?? ''}|${scope}`;
    const cached = this.tokens.get(key);
    if (cached && `Bearer ${cached}` !== used) return `Bearer ${cached}`;
    this.tokens.delete(key);
    const tokenUrl = new URL(realm);
    if (service) tokenUrl.searchParams.set('service', service);
    for (const s of scope.split(' ').filter(Boolean)) tokenUrl.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'User-Agent': 'sd-actions' };
    if (this.credentials?.username)
      headers.Authorization = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password ?? ''}`).toString('base64')}`;
    const res = await this.fetch(tokenUrl, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    const body = Buffer.from(await res.arrayBuffer());
    const reply: Reply = { status: res.status, headers: res.headers, body, url: tokenUrl.toString() };
    if (isTransientStatus(res.status))
      throw new TransientError(
        `token ${res.status} ${registryErrorText(reply)}`,
        parseRetryAfter(res.headers.get('retry-after')),
      );
    if (!res.ok)
      throw new UserError(
        `${this.host}: the token service ${tokenUrl.origin}${tokenUrl.pathname} refused ${scope}: ${res.status} ${registryErrorText(reply)}`,
      );
    const json = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    const token = json.token ?? json.access_token;
    if (!token) throw new UserError(`${this.host}: the token service returned no token for ${scope}`);
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }

  private expect(reply: Reply, ok: number[], method: string, repository: string, what: string): void {
    if (ok.includes(reply.status)) return;
    throw new UserError(
      `${this.imageName(repository)}: ${method} ${what} failed: ${reply.status} ${registryErrorText(reply)}`,
    );
  }
}

function authKey(req: Request): string {
  return `${req.repository}|${req.push ? 'push' : 'pull'}`;
}

/** The registry's own words: `{"errors":[{code,message,detail}]}` per the spec, else the body text. */
export function registryErrorText(reply: { status: number; body: Buffer; headers: Headers }): string {
  const text = reply.body.toString('utf8').trim();
  try {
    const json = JSON.parse(text) as { errors?: { code?: string; message?: string; detail?: unknown }[] };
    if (Array.isArray(json.errors) && json.errors.length > 0)
      return json.errors
        .map((e) => {
          const detail = e.detail === undefined || e.detail === null ? '' : ` (${JSON.stringify(e.detail)})`;
          return `${e.code ?? 'ERROR'}: ${e.message ?? ''}${detail}`.slice(0, 500);
        })
        .join('; ');
  } catch {
    // not JSON: fall through to the text
  }
  return text ? text.slice(0, 500) : `HTTP ${reply.status}`;
}

/** The `rel="next"` target of a Link header, resolved against the current URL. */
export function nextLink(header: string | null, current: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return new URL(m[1]!, current).toString();
  }
  return undefined;
}
