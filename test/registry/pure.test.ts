/** The pure parts of the registry layer and of build-once-tag: no I/O, no sleeping. */
import { describe, expect, test } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import {
  backoffDelay,
  childManifests,
  DEFAULT_BACKOFF,
  defaultRetryPolicy,
  isTransientError,
  isTransientStatus,
  mediaTypeOfManifest,
  MEDIA_TYPES,
  nextLink,
  parseChallenges,
  parseRetryAfter,
  planTags,
  refusalError,
  repositoryScope,
  sha256Digest,
  tagKind,
  TransientError,
  verifyDigest,
  withRetry,
} from '@sd-actions/registry';
import { buildImage, buildIndex, tar } from '@sd-actions/testkit';
import { buildTag, createdAt, ociLabels, requestedTags } from '../../actions/build-once-tag/src/plan.js';

describe('WWW-Authenticate', () => {
  test.each([
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/blue:pull"',
      [
        {
          scheme: 'bearer',
          params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:acme/blue:pull' },
        },
      ],
    ],
    [
      // A quoted value with a comma inside, spaces around separators, an error param.
      'Bearer realm="https://auth.docker.io/token", service="registry.docker.io", scope="repository:library/a:pull,push", error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/a:pull,push',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    ['basic realm=unquoted', [{ scheme: 'basic', params: { realm: 'unquoted' } }]],
    [
      'Basic realm="a", Bearer realm="https://t/x",service=s',
      [
        { scheme: 'basic', params: { realm: 'a' } },
        { scheme: 'bearer', params: { realm: 'https://t/x', service: 's' } },
      ],
    ],
    ['Bearer realm="esc\\"aped"', [{ scheme: 'bearer', params: { realm: 'esc"aped' } }]],
    ['', []],
  ])('%s', (header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });

  test('scope for a repository', () => {
    expect(repositoryScope('acme/blue', false)).toBe('repository:acme/blue:pull');
    expect(repositoryScope('acme/blue', true)).toBe('repository:acme/blue:pull,push');
  });
});

describe('backoff', () => {
  test('doubles from the base, capped, with jitter between half and all of the ceiling', () => {
    const opts = { attempts: 6, baseMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  test('Retry-After in seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
    ).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  test.each([
    [500, true],
    [502, true],
    [503, true],
    [429, true],
    [408, true],
    [501, false],
    [400, false],
    [401, false],
    [404, false],
  ])('status %d transient: %s', (status, transient) => expect(isTransientStatus(status)).toBe(transient));

  test('network errors: resets, hang-ups and timeouts are transient; refusals are not', () => {
    const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
    expect(isTransientError(fetchFailed('ECONNRESET'))).toBe(true);
    expect(isTransientError(fetchFailed('UND_ERR_SOCKET'))).toBe(true);
    expect(isTransientError(new Error('socket hang up'))).toBe(true);
    expect(isTransientError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe(true);
    expect(isTransientError(fetchFailed('ECONNREFUSED'))).toBe(false);
    expect(isTransientError(new Error('MANIFEST_INVALID'))).toBe(false);
  });

  test('withRetry retries transient faults with the schedule, honouring Retry-After, then gives up cleanly', async () => {
    const delays: number[] = [];
    const policy = defaultRetryPolicy({
      ...DEFAULT_BACKOFF,
      attempts: 4,
      sleep: async (ms) => void delays.push(ms),
      random: () => 0,
    });
    let calls = 0;
    const result = await withRetry(policy, 'op', async () => {
      calls++;
      if (calls === 1) throw new TransientError('503 busy');
      if (calls === 2) throw new TransientError('429 slow down', 2000);
      return 'done';
    });
    expect(result).toBe('done');
    expect(delays).toEqual([125, 2000]);

    delays.length = 0;
    await expect(
      withRetry(policy, 'PUT x', async () => {
        throw new TransientError('503 UNAVAILABLE: down');
      }),
    ).rejects.toThrow(/^PUT x failed after 4 attempts: 503 UNAVAILABLE: down$/);
    expect(delays).toHaveLength(3);

    let permanent = 0;
    await expect(
      withRetry(policy, 'op', async () => {
        permanent++;
        throw new Error('DENIED');
      }),
    ).rejects.toThrow('DENIED');
    expect(permanent).toBe(1);
  });
});

describe('digests and media types', () => {
  test('verifyDigest accepts the matching digest and refuses another', () => {
    const bytes = Buffer.from('{"schemaVersion":2}');
    expect(verifyDigest(bytes, sha256Digest(bytes), 'x')).toBe(sha256Digest(bytes));
    expect(() => verifyDigest(bytes, `sha256:${'0'.repeat(64)}`, 'x')).toThrow(/does not match/);
  });

  test('media type from the manifest body, when a store keeps none', () => {
    const j = (v: unknown) => Buffer.from(JSON.stringify(v));
    expect(mediaTypeOfManifest(j({ mediaType: MEDIA_TYPES.dockerManifest }))).toBe(
      MEDIA_TYPES.dockerManifest,
    );
    expect(mediaTypeOfManifest(j({ schemaVersion: 2, manifests: [] }))).toBe(MEDIA_TYPES.ociIndex);
    expect(mediaTypeOfManifest(j({ schemaVersion: 2, config: {} }))).toBe(MEDIA_TYPES.ociManifest);
    expect(mediaTypeOfManifest(Buffer.from('not json'))).toBeUndefined();
  });

  test('Link header pagination', () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"', 'http://r:5000/v2/a/tags/list?n=2')).toBe(
      'http://r:5000/v2/a/tags/list?n=2&last=b',
    );
    expect(nextLink(null, 'http://r')).toBeUndefined();
  });
});

describe('sample images', () => {
  test('are deterministic and well-formed', () => {
    const spec = { files: [{ path: 'srv/a.txt', data: Buffer.from('hello\n') }], labels: { a: 'b' } };
    const one = buildImage(spec);
    const two = buildImage(spec);
    expect(one.manifest.digest).toBe(two.manifest.digest);
    const layer = gunzipSync(one.blobs[1]!);
    expect(layer.subarray(0, 9).toString()).toBe('srv/a.txt');
    expect(layer.subarray(257, 262).toString()).toBe('ustar');
    expect(layer.length % 512).toBe(0);
    const config = JSON.parse(one.blobs[0]!.toString()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual([sha256Digest(layer)]);
    const other = buildImage({ ...spec, files: [{ path: 'srv/a.txt', data: Buffer.from('bye\n') }] });
    expect(other.manifest.digest).not.toBe(one.manifest.digest);
  });

  test('an index lists each platform manifest', () => {
    const amd = buildImage({ files: [], platform: { architecture: 'amd64', os: 'linux' } });
    const arm = buildImage({ files: [], platform: { architecture: 'arm64', os: 'linux' } });
    const index = buildIndex(
      [
        { image: amd, platform: { architecture: 'amd64', os: 'linux' } },
        { image: arm, platform: { architecture: 'arm64', os: 'linux' } },
      ],
      'docker',
    );
    expect(index.manifest.mediaType).toBe(MEDIA_TYPES.dockerManifestList);
    expect(childManifests(index.manifest.bytes).map((d) => d.digest)).toEqual([
      amd.manifest.digest,
      arm.manifest.digest,
    ]);
  });

  test('tar checksum is what tar readers compute', () => {
    const t = tar([{ path: 'x', data: Buffer.from('1') }]);
    const header = Buffer.from(t.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString(), 8);
    header.fill(' ', 148, 156);
    expect(header.reduce((s, b) => s + b, 0)).toBe(stored);
  });
});

describe('tag policy', () => {
  test.each([
    ['dev', 'dev', 'moving'],
    ['prd', 'prd', 'moving'],
    ['latest', 'latest', 'moving'],
    ['{version}', '1.2.3', 'immutable'],
    ['{service}-edge', 'blue-edge', 'immutable'],
    ['sha-abc1234', 'sha-abc1234', 'immutable'],
    ['1.6.0', '1.6.0', 'immutable'],
    ['v2.0.1-rc.1', 'v2.0.1-rc.1', 'immutable'],
    ['1.6', '1.6', 'immutable'],
  ])('%s → %s is %s', (template, rendered, kind) => expect(tagKind(template, rendered)).toBe(kind));

  test('plan: add, present, move, refuse; refusals named with both digests', () => {
    const target = `sha256:${'a'.repeat(64)}`;
    const other = `sha256:${'b'.repeat(64)}`;
    const plan = planTags(target, [
      { tag: 'new', kind: 'moving' },
      { tag: 'here', kind: 'immutable', current: target },
      { tag: 'dev', kind: 'moving', current: other },
      { tag: '1.0.0', kind: 'immutable', current: other },
    ]);
    expect(plan.map((p) => p.action)).toEqual(['add', 'present', 'move', 'refuse']);
    const err = refusalError('reg/blue', target, plan);
    expect(err?.message).toContain(`reg/blue:1.0.0 already points at ${other}`);
    expect(err?.message).toContain(`reg/blue@${target}`);
    expect(err?.message).toContain('Nothing was changed');
    expect(refusalError('reg/blue', target, plan.slice(0, 3))).toBeUndefined();
  });
});

describe('build-once-tag plan', () => {
  test('build tag from the source SHA', () => {
    expect(buildTag('0123456789abcdef0123456789abcdef01234567')).toBe('sha-0123456');
    expect(() => buildTag('xyz')).toThrow('Input "source-sha": "xyz" is not valid; expected a commit SHA');
    expect(() => buildTag('ABCDEF1')).toThrow(/source-sha/);
  });

  test('requested tags render {service} and {sha}, and name the input on errors', () => {
    expect(
      requestedTags(['dev', '{service}-{sha}', 'sha-{sha}'], { service: 'blue', sha: 'abc1234' }),
    ).toEqual([
      { tag: 'dev', kind: 'moving' },
      { tag: 'blue-abc1234', kind: 'immutable' },
      { tag: 'sha-abc1234', kind: 'immutable' },
    ]);
    expect(() => requestedTags(['{version}'], { service: 'b' })).toThrow(
      /^Input "tags": "\{version\}" is not valid/,
    );
    expect(() => requestedTags(['bad tag'], { service: 'b' })).toThrow(
      /^Input "tags": "bad tag" is not a valid tag/,
    );
  });

  test('OCI labels', () => {
    expect(
      ociLabels({
        sourceSha: 'abc',
        serverUrl: 'https://github.com',
        repository: 'acme/mono',
        version: 'sha-abc1234',
        created: new Date(0),
      }),
    ).toEqual([
      'org.opencontainers.image.revision=abc',
      'org.opencontainers.image.source=https://github.com/acme/mono',
      'org.opencontainers.image.created=1970-01-01T00:00:00.000Z',
      'org.opencontainers.image.version=sha-abc1234',
    ]);
    expect(createdAt('86400').toISOString()).toBe('1970-01-02T00:00:00.000Z');
  });
});
