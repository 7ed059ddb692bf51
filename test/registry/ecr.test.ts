/**
 * The ecr driver with the real AWS SDK client against a loopback ECR speaking the JSON 1.1 wire
 * protocol (reached through AWS_ENDPOINT_URL_ECR): exact bytes, both PutImage exceptions,
 * ListImages pagination and throttling retried by the SDK itself.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EcrRegistry, MEDIA_TYPES, openRegistry, retag } from '@sd-actions/registry';
import { sampleImage, startFakeEcr, type FakeEcr } from '@sd-actions/testkit';

const URL = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
let ecr: FakeEcr;
const saved: Record<string, string | undefined> = {};
const ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'fake-secret',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
};

beforeAll(async () => {
  ecr = await startFakeEcr({ pageSize: 2 });
  for (const [k, v] of Object.entries({ ...ENV, AWS_ENDPOINT_URL_ECR: ecr.endpoint })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await ecr.stop();
});

/** Seed an image the way a docker push to ECR would leave it. */
function seed(repository: string, tag: string, kind: 'single' | 'index' | 'docker-list', seedText: string) {
  const image = sampleImage(kind, seedText);
  const r = ecr.repositories.get(repository) ?? ecr.createRepository(repository);
  for (const child of image.children)
    r.images.set(child.digest, { manifest: child.bytes.toString('utf8'), mediaType: child.mediaType });
  r.images.set(image.manifest.digest, {
    manifest: image.manifest.bytes.toString('utf8'),
    mediaType: image.manifest.mediaType,
  });
  r.tags.set(tag, image.manifest.digest);
  return image.manifest;
}

describe('ecr driver', () => {
  test('the factory opens it; reads exact bytes and retags an index keeping its digest', async () => {
    const registry = openRegistry({ type: 'ecr', url: URL, insecure: false }, { workspace: '/' });
    expect(registry).toBeInstanceOf(EcrRegistry);
    const built = seed('team/blue', 'sha-abcdef1', 'index', 'ecr-index');
    const manifest = (await registry.getManifest('team/blue', 'sha-abcdef1'))!;
    expect(manifest.bytes.equals(built.bytes)).toBe(true);
    expect(manifest.mediaType).toBe(MEDIA_TYPES.ociIndex);
    await retag(registry, 'team/blue', manifest, [
      { tag: 'dev', kind: 'moving' },
      { tag: '1.0.0', kind: 'immutable' },
    ]);
    const put = ecr.calls.filter((c) => c.operation === 'PutImage');
    expect(put.map((c) => [c.body.imageTag, c.body.imageDigest, c.body.imageManifestMediaType])).toEqual([
      ['dev', built.digest, MEDIA_TYPES.ociIndex],
      ['1.0.0', built.digest, MEDIA_TYPES.ociIndex],
    ]);
    expect(put.every((c) => c.body.imageManifest === built.bytes.toString('utf8') && c.signed)).toBe(true);
    expect(await registry.tagsOf('team/blue', built.digest)).toEqual(['1.0.0', 'dev', 'sha-abcdef1']);
    await registry.close?.();
  });

  test('ListImages pages are followed to the end (nextToken)', async () => {
    const registry = new EcrRegistry(URL);
    for (let i = 0; i < 5; i++) seed('paged', `t${i}`, 'single', `p${i}`);
    ecr.calls.length = 0;
    expect(await registry.listTags('paged')).toEqual(['t0', 't1', 't2', 't3', 't4']);
    const pages = ecr.calls.filter((c) => c.operation === 'ListImages');
    expect(pages.map((c) => c.body.nextToken ?? null)).toEqual([null, 'page-2', 'page-4']);
    expect(await registry.listTags('no-such-repo')).toEqual([]);
    expect(await registry.resolve('no-such-repo', 'x')).toBeUndefined();
    expect(await registry.resolve('paged', 'missing')).toBeUndefined();
    await registry.close();
  });

  test('a re-run whose tag already holds the digest (ImageAlreadyExistsException) is success', async () => {
    const registry = new EcrRegistry(URL);
    const built = seed('rerun', 'sha-1111111', 'single', 'rerun');
    const manifest = (await registry.getManifest('rerun', 'sha-1111111'))!;
    ecr.calls.length = 0;
    await expect(registry.putManifest('rerun', 'sha-1111111', manifest)).resolves.toBe(built.digest);
    expect(ecr.calls.map((c) => [c.operation, c.status])).toEqual([['PutImage', 400]]);
    await registry.close();
  });

  test('an immutable repository refusing to move a tag names both digests', async () => {
    const registry = new EcrRegistry(URL);
    ecr.createRepository('locked', { immutable: true });
    const a = seed('locked', 'prd', 'single', 'a');
    const b = seed('locked', 'sha-bbbbbbb', 'single', 'b');
    const manifest = (await registry.getManifest('locked', 'sha-bbbbbbb'))!;
    const err = (await registry.putManifest('locked', 'prd', manifest).catch((e: Error) => e)) as Error;
    expect(err.name).toBe('UserError');
    expect(err.message).toContain(`prd already points at ${a.digest}; refusing to point it at ${b.digest}`);
    expect(err.message).toContain('cannot be overwritten because the repository is immutable');
    expect(ecr.repositories.get('locked')!.tags.get('prd')).toBe(a.digest);
    await registry.close();
  });

  test('ThrottlingException is retried by the SDK; the call then succeeds', async () => {
    const registry = new EcrRegistry(URL);
    const built = seed('throttled', 'sha-3333333', 'docker-list', 'th');
    ecr.throttle('BatchGetImage', 2);
    ecr.calls.length = 0;
    expect((await registry.resolve('throttled', 'sha-3333333'))?.digest).toBe(built.digest);
    expect(ecr.calls.map((c) => c.status)).toEqual([400, 400, 200]);
    await registry.close();
  });

  test('throttling beyond the SDK attempts is a clean error with the service’s words', async () => {
    const registry = new EcrRegistry(URL, { maxAttempts: 2 });
    seed('throttled2', 'x', 'single', 'th2');
    ecr.throttle('BatchGetImage', 5);
    await expect(registry.resolve('throttled2', 'x')).rejects.toThrow(
      'ECR BatchGetImage 123456789012.dkr.ecr.us-east-1.amazonaws.com/throttled2: ThrottlingException: Rate exceeded',
    );
    ecr.throttle('BatchGetImage', 0);
    await registry.close();
  });

  test('GetAuthorizationToken gives Distribution API credentials', async () => {
    const registry = new EcrRegistry(URL);
    expect(await registry.dockerCredentials()).toEqual({ username: 'AWS', password: 'fake-ecr-password' });
    await registry.close();
  });

  test('a url that is not ECR is refused', () => {
    expect(() => new EcrRegistry('ghcr.io/acme')).toThrow('is not an ECR registry');
  });
});
