/**
 * The oci driver against the real CNCF registry (Debian's docker-registry) on loopback: all
 * manifest kinds, digests unchanged by retags, basic auth, bearer tokens, transient faults.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { childManifests, OciRegistry, retag, type RetryPolicy } from '@sd-actions/registry';
import {
  type ProxiedRequest,
  type Proxy,
  type ProxyDecision,
  pushImage,
  pushTestImage,
  type RegistryServer,
  sampleImage,
  startProxy,
  startRegistry,
} from '@sd-actions/testkit';

let plain: RegistryServer;
let secured: RegistryServer;
const AUTH = { username: 'ci-bot', password: 's3cret-p@ss' };

beforeAll(async () => {
  [plain, secured] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), secured?.stop()]);
});

/** Retry delays are recorded, not slept, so fault tests are fast. */
function fastRetry(delays: number[] = []): Partial<RetryPolicy> {
  return { sleep: async (ms) => void delays.push(ms), random: () => 0.5 };
}

function skopeoRaw(ref: string): Buffer {
  return execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
}

describe.each(['single', 'docker', 'index', 'docker-list'] as const)(
  '%s image on docker-registry',
  (kind) => {
    const repo = `kinds/${kind}`;

    test('resolve, exact bytes, retag with the digest unchanged, list, tagsOf', async () => {
      const registry = new OciRegistry(plain.url, true);
      const { digest, image } = await pushTestImage(plain, repo, 'sha-1234567', kind);
      const resolved = await registry.resolve(repo, 'sha-1234567');
      expect(resolved).toEqual({ digest, mediaType: image.manifest.mediaType, size: image.manifest.size });
      const manifest = (await registry.getManifest(repo, 'sha-1234567'))!;
      expect(manifest.bytes.equals(image.manifest.bytes)).toBe(true);

      await retag(registry, repo, manifest, [
        { tag: 'dev', kind: 'moving' },
        { tag: '1.0.0', kind: 'immutable' },
      ]);
      for (const tag of ['sha-1234567', 'dev', '1.0.0']) {
        expect((await registry.resolve(repo, tag))?.digest).toBe(digest);
        // A third-party client sees the very same bytes under every tag.
        expect(skopeoRaw(`${plain.url}/${repo}:${tag}`).equals(image.manifest.bytes)).toBe(true);
      }
      for (const child of childManifests(manifest.bytes))
        expect((await registry.getManifest(repo, child.digest))?.digest).toBe(child.digest);
      expect(await registry.listTags(repo)).toEqual(['1.0.0', 'dev', 'sha-1234567']);
      expect(await registry.tagsOf(repo, digest)).toEqual(['1.0.0', 'dev', 'sha-1234567']);
    });
  },
);

test('missing things are undefined or empty, not errors', async () => {
  const registry = new OciRegistry(plain.url, true);
  expect(await registry.resolve('nothing/here', 'dev')).toBeUndefined();
  expect(await registry.getManifest('nothing/here', `sha256:${'0'.repeat(64)}`)).toBeUndefined();
  expect(await registry.listTags('nothing/here')).toEqual([]);
  expect(await registry.exists('nothing/here', 'x')).toBe(false);
});

test('a namespace in the url prefixes the repository', async () => {
  const registry = new OciRegistry(`${plain.url}/acme/team`, true);
  const digest = await pushImage(registry, 'blue', 'sha-7654321', sampleImage('single', 'ns'));
  expect(registry.imageName('blue')).toBe(`${plain.url}/acme/team/blue`);
  expect(skopeoRaw(`${plain.url}/acme/team/blue:sha-7654321`).length).toBeGreaterThan(0);
  expect((await new OciRegistry(plain.url, true).resolve('acme/team/blue', 'sha-7654321'))?.digest).toBe(
    digest,
  );
});

test('an immutable tag on another digest is refused before anything is written', async () => {
  const registry = new OciRegistry(plain.url, true);
  const a = await pushTestImage(plain, 'refuse', 'sha-aaaaaaa', 'single', 'a');
  const b = await pushTestImage(plain, 'refuse', 'sha-bbbbbbb', 'single', 'b');
  await retag(registry, 'refuse', (await registry.getManifest('refuse', a.digest))!, [
    { tag: '2.0.0', kind: 'immutable' },
  ]);
  await expect(
    retag(registry, 'refuse', (await registry.getManifest('refuse', b.digest))!, [
      { tag: 'dev', kind: 'moving' },
      { tag: '2.0.0', kind: 'immutable' },
    ]),
  ).rejects.toThrow(`refuse:2.0.0 already points at ${a.digest}`);
  expect(await registry.exists('refuse', 'dev')).toBe(false);
  expect((await registry.resolve('refuse', '2.0.0'))?.digest).toBe(a.digest);
});

describe('errors are the registry’s own and are not retried', () => {
  let proxy: Proxy;
  beforeAll(async () => {
    proxy = await startProxy(plain.url);
  });
  afterAll(() => proxy.stop());

  test('a manifest whose blobs are missing: MANIFEST_BLOB_UNKNOWN, one request', async () => {
    const registry = new OciRegistry(proxy.url, true, { retry: fastRetry() });
    const orphan = sampleImage('single', 'orphan').manifest;
    proxy.records.length = 0;
    await expect(registry.putManifest('orphan', 'v1', orphan)).rejects.toThrow(
      /PUT v1 failed: 400 MANIFEST_BLOB_UNKNOWN/,
    );
    expect(proxy.records.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});

test('retag of two tags: 2 manifest requests per added tag; tagsOf resolves only the tags it is not told', async () => {
  const proxy = await startProxy(plain.url);
  try {
    const registry = new OciRegistry(proxy.url, true, { retry: fastRetry() });
    const { digest } = await pushTestImage(plain, 'counted', 'sha-7777777');
    await pushTestImage(plain, 'counted', 'other', 'single', 'another image');
    const manifest = (await registry.getManifest('counted', 'sha-7777777'))!;
    proxy.records.length = 0;
    const plan = await retag(registry, 'counted', manifest, [
      { tag: 'a', kind: 'moving' },
      { tag: 'b', kind: 'moving' },
    ]);
    const known = new Map(plan.map((p) => [p.tag, digest] as const)).set('sha-7777777', digest);
    expect(await registry.tagsOf('counted', digest, known)).toEqual(['a', 'b', 'sha-7777777']);
    const manifests = proxy.records.filter((r) => r.path.includes('/manifests/'));
    // One HEAD (all checked before any write) and one PUT per tag; tagsOf resolves only "other".
    const seen = manifests.map((r) => `${r.method} ${r.path.split('/manifests/')[1]}`);
    expect(seen.slice(0, 2).sort()).toEqual(['HEAD a', 'HEAD b']); // resolved concurrently
    expect(seen.slice(2)).toEqual(['PUT a', 'PUT b', 'HEAD other']);
  } finally {
    await proxy.stop();
  }
});

describe('basic auth (htpasswd)', () => {
  test('with the right credentials every operation works', async () => {
    const registry = new OciRegistry(secured.url, true, { credentials: AUTH });
    const { digest } = await pushTestImage(secured, 'private/blue', 'sha-0000001', 'index');
    const manifest = (await registry.getManifest('private/blue', 'sha-0000001'))!;
    await retag(registry, 'private/blue', manifest, [{ tag: 'prd', kind: 'moving' }]);
    expect((await registry.resolve('private/blue', 'prd'))?.digest).toBe(digest);
    expect(await registry.listTags('private/blue')).toEqual(['prd', 'sha-0000001']);
  });

  test('without credentials, or with wrong ones, a clear error that shows no secret', async () => {
    await expect(new OciRegistry(secured.url, true).resolve('private/blue', 'prd')).rejects.toThrow(
      /needs credentials \(registry-username \/ registry-password\)/,
    );
    const wrong = new OciRegistry(secured.url, true, {
      credentials: { username: 'ci-bot', password: 'nope-nope' },
    });
    const err = await wrong.resolve('private/blue', 'prd').catch((e: Error) => e);
    expect(String(err)).toMatch(/credentials were not accepted/);
    expect(String(err)).not.toContain('nope-nope');
  });
});

describe('bearer tokens', () => {
  let proxy: Proxy;
  const tokenRequests: string[] = [];
  const TOKEN_USER = { username: 'robot', password: 'token-pass' };

  /** Minimal token service + resource server: tokens name their scope, and must cover the action. */
  function bearer(req: ProxiedRequest): ProxyDecision {
    const url = new URL(req.path, 'http://x');
    if (url.pathname === '/token') {
      tokenRequests.push(url.searchParams.getAll('scope').join(' '));
      const expected = `Basic ${Buffer.from(`${TOKEN_USER.username}:${TOKEN_USER.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected)
        return { status: 401, body: '{"details":"bad credentials"}' };
      return {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: `tok|${url.searchParams.get('scope')}` }),
      };
    }
    const m = /^\/v2\/(.+?)\/(manifests|blobs|tags)\//.exec(url.pathname);
    const push = ['PUT', 'POST', 'PATCH', 'DELETE'].includes(req.method);
    const scope = m ? `repository:${m[1]}:${push ? 'pull,push' : 'pull'}` : '';
    const auth = String(req.headers.authorization ?? '');
    const granted = auth.startsWith('Bearer tok|') ? auth.slice('Bearer tok|'.length) : undefined;
    const ok =
      granted !== undefined &&
      (scope === '' || granted === scope || (!push && granted === `repository:${m![1]}:pull,push`));
    if (ok) return 'forward';
    return {
      status: 401,
      headers: {
        'WWW-Authenticate': `Bearer realm="http://${proxy.url}/token",service="test-registry"${scope ? `,scope="${scope}"` : ''}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }),
    };
  }

  beforeAll(async () => {
    proxy = await startProxy(plain.url, bearer);
  });
  afterAll(() => proxy.stop());

  test('fetches a token per scope with basic credentials, caches it, and retags', async () => {
    const { digest } = await pushTestImage(plain, 'tokened', 'sha-5555555', 'docker-list');
    const registry = new OciRegistry(proxy.url, true, { credentials: TOKEN_USER });
    tokenRequests.length = 0;
    const manifest = (await registry.getManifest('tokened', 'sha-5555555'))!;
    await retag(registry, 'tokened', manifest, [
      { tag: 'dev', kind: 'moving' },
      { tag: 'qa', kind: 'moving' },
      { tag: '3.1.4', kind: 'immutable' },
    ]);
    expect(await registry.tagsOf('tokened', digest)).toEqual(['3.1.4', 'dev', 'qa', 'sha-5555555']);
    // One token for pull, one for push: cached across the dozen requests that followed.
    expect(tokenRequests).toEqual(['repository:tokened:pull', 'repository:tokened:pull,push']);
  });

  test('the token service refusing the credentials is a clear error', async () => {
    const registry = new OciRegistry(proxy.url, true, {
      credentials: { username: 'robot', password: 'wrong' },
    });
    await expect(registry.resolve('tokened', 'dev')).rejects.toThrow(
      /the token service http:\/\/127\.0\.0\.1:\d+\/token refused repository:tokened:pull: 401/,
    );
  });
});

describe('transient faults (a proxy injecting 503, 429, resets and stalls)', () => {
  let proxy: Proxy;
  let faults: ProxyDecision[] = [];
  let match: (req: ProxiedRequest) => boolean = () => false;

  beforeAll(async () => {
    proxy = await startProxy(plain.url, async (req) => {
      if (!match(req) || faults.length === 0) return 'forward';
      const next = faults.shift()!;
      if (next === 'forward' || next === 'reset' || next.status !== 599) return next;
      // 599 = stall: answer long after the client's timeout.
      await new Promise((r) => setTimeout(r, 800));
      return { status: 503 };
    });
  });
  afterAll(() => proxy.stop());

  test('the retag lands exactly once through a burst of faults, honouring Retry-After', async () => {
    const { digest } = await pushTestImage(plain, 'faulty', 'sha-1010101', 'index');
    const delays: number[] = [];
    const registry = new OciRegistry(proxy.url, true, { retry: fastRetry(delays), timeoutMs: 300 });
    const manifest = (await registry.getManifest('faulty', 'sha-1010101'))!;
    match = (req) => req.path.includes('/manifests/dev');
    faults = [
      { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}' },
      'reset',
      { status: 429, headers: { 'Retry-After': '2' } },
      { status: 599 },
    ];
    proxy.records.length = 0;
    await retag(registry, 'faulty', manifest, [{ tag: 'dev', kind: 'moving' }]);
    match = () => false;
    expect(faults).toEqual([]);
    expect(delays).toContain(2000);
    expect((await registry.resolve('faulty', 'dev'))?.digest).toBe(digest);
    const puts = proxy.records.filter((r) => r.method === 'PUT' && r.forwarded);
    expect(puts).toHaveLength(1);
  });

  test('faults that do not stop fail cleanly after bounded attempts, with nothing written', async () => {
    await pushTestImage(plain, 'faulty', 'sha-2020202', 'single');
    const delays: number[] = [];
    const registry = new OciRegistry(proxy.url, true, { retry: { ...fastRetry(delays), attempts: 4 } });
    const manifest = (await registry.getManifest('faulty', 'sha-2020202'))!;
    match = (req) => req.method === 'PUT';
    faults = Array.from({ length: 10 }, () => ({
      status: 503,
      body: '{"errors":[{"code":"UNAVAILABLE","message":"maintenance"}]}',
    }));
    proxy.records.length = 0;
    await expect(retag(registry, 'faulty', manifest, [{ tag: 'broken', kind: 'moving' }])).rejects.toThrow(
      /PUT http:\/\/127\.0\.0\.1:\d+\/v2\/faulty\/manifests\/broken failed after 4 attempts: 503 UNAVAILABLE: maintenance/,
    );
    match = () => false;
    expect(delays).toHaveLength(3);
    expect(proxy.records.filter((r) => r.method === 'PUT' && r.forwarded)).toHaveLength(0);
    expect(await registry.exists('faulty', 'broken')).toBe(false);
  });
});
