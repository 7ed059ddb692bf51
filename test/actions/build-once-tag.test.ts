/**
 * build-once-tag, run from its committed bundle the way the runner runs it, against the real
 * CNCF registry on loopback, the embedded oci-layout registry, and a wire-level ECR fake.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { childManifests, OciRegistry } from '@sd-actions/registry';
import {
  pushTestImage,
  removeDir,
  ROOT,
  runAction,
  sampleImage,
  startFakeEcr,
  startProxy,
  startRegistry,
  tempDir,
  writeFiles,
  type ActionRun,
  type RegistryServer,
  type RunOptions,
} from '@sd-actions/testkit';

const SHA1 = '1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const SHA2 = '2222222bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const SHA3 = '3333333ccccccccccccccccccccccccccccccccc';
const SHA4 = '4444444ddddddddddddddddddddddddddddddddd';
/** Our sample builder as a build command: a real image from CONTEXT, pushed to IMAGE:TAG. */
const SAMPLE_BUILD = `node --import ${JSON.stringify(`file://${ROOT}/node_modules/tsx/dist/loader.mjs`)} ${JSON.stringify(join(ROOT, 'packages/testkit/src/bin/build-sample-image.ts'))}`;
const WEIRD_PATH = 'projects/$HOME;touch pwned';

let server: RegistryServer;
let secured: RegistryServer;
let root: string;
const AUTH = { username: 'builder', password: 'pa55-w0rd-xyz' };

function config(registry: string): string {
  return `${registry}
services:
  blue: { path: projects/blue }
  red: { path: "${WEIRD_PATH}" }
  multi: { path: projects/multi }
`;
}

function workspace(name: string, registry: string): string {
  const dir = join(root, name);
  writeFiles(dir, {
    '.github/sd-actions.yml': config(registry),
    'projects/blue/app.txt': 'blue\n',
    [`${WEIRD_PATH}/app.txt`]: 'red\n',
    'projects/multi/app.txt': 'multi\n',
  });
  return dir;
}

function run(
  ws: string,
  inputs: Record<string, string>,
  options: Partial<RunOptions> = {},
): Promise<ActionRun> {
  return runAction('build-once-tag', { workspace: ws, sha: SHA1, inputs, ...options });
}

function ok(r: ActionRun): ActionRun {
  if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A failed run: exit 1, exactly one error annotation, no stack trace. */
function failed(r: ActionRun): string {
  expect(r.code).toBe(1);
  const errors = r.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  expect(r.stdout).not.toMatch(/\n\s+at /);
  return errors[0]!.message;
}

beforeAll(async () => {
  root = tempDir('bot-');
  [server, secured] = await Promise.all([startRegistry(), startRegistry({ auth: AUTH })]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), secured?.stop()]);
  removeDir(root);
});

describe('on a real registry (docker-registry)', () => {
  let ws: string;
  let registry: OciRegistry;
  beforeAll(() => {
    ws = workspace('oci', `registry: { type: oci, url: "${server.url}/acme", insecure: true }`);
    registry = new OciRegistry(`${server.url}/acme`, true);
  });

  test('builds once, then reuses: the second run builds nothing and changes nothing', async () => {
    const build = `echo "$SERVICE $TAG $SOURCE_SHA" >> build-count.txt && ${SAMPLE_BUILD}`;
    const first = ok(await run(ws, { service: 'blue', 'build-command': build, tags: 'dev' }));
    const digest = (await registry.resolve('blue', 'sha-1111111'))!.digest;
    expect(first.outputs).toMatchObject({
      image: `${server.url}/acme/blue`,
      tag: 'sha-1111111',
      digest,
      'image-ref': `${server.url}/acme/blue@${digest}`,
      built: 'true',
      tags: JSON.stringify(['dev', 'sha-1111111']),
    });
    expect(first.outputs.labels!.split('\n')).toEqual([
      `org.opencontainers.image.revision=${SHA1}`,
      'org.opencontainers.image.source=https://github.example/acme/monorepo',
      expect.stringMatching(/^org\.opencontainers\.image\.created=\d{4}-\d\d-\d\dT/),
      'org.opencontainers.image.version=sha-1111111',
    ]);
    expect((await registry.resolve('blue', 'dev'))?.digest).toBe(digest);
    expect(first.summary).toContain('| Service | Image | Digest | Tags added | Already present | Build |');
    expect(first.summary).toContain('| dev | — | built by this run |');
    // The labels reached the image (the sample builder writes LABELS into the config).
    const config = execFileSync(
      'skopeo',
      ['inspect', '--tls-verify=false', `docker://${server.url}/acme/blue:dev`],
      {
        encoding: 'utf8',
      },
    );
    expect(JSON.parse(config).Labels['org.opencontainers.image.revision']).toBe(SHA1);

    const second = ok(await run(ws, { service: 'blue', 'build-command': build, tags: 'dev' }));
    expect(second.outputs).toMatchObject({ built: 'false', digest, tag: 'sha-1111111' });
    expect(second.stdout).toContain('Nothing changed');
    expect(second.summary).toContain('| — | dev | reused (not built) |');
    expect(second.summary).toContain('Nothing changed');
    expect(readFileSync(join(ws, 'build-count.txt'), 'utf8')).toBe(`blue sha-1111111 ${SHA1}\n`);
  });

  test('two runs building one commit at once report the same digest: the one the sha tag holds', async () => {
    // Two checkouts whose builds differ, so the two digests differ; the builds interleave through
    // barrier files: A pushes first and finishes only after B has pushed over it.
    const a = workspace('race-a', `registry: { type: oci, url: "${server.url}/acme", insecure: true }`);
    const b = workspace('race-b', `registry: { type: oci, url: "${server.url}/acme", insecure: true }`);
    writeFiles(a, { 'projects/blue/app.txt': 'blue built by A\n' });
    writeFiles(b, { 'projects/blue/app.txt': 'blue built by B\n' });
    const pushedA = join(root, 'race-a.pushed');
    const pushedB = join(root, 'race-b.pushed');
    const wait = (file: string) => `while [ ! -e '${file}' ]; do sleep 0.05; done`;
    const inputs = { service: 'blue', 'source-sha': SHA4, tags: 'latest' };
    const [runA, runB] = await Promise.all([
      run(a, { ...inputs, 'build-command': `${SAMPLE_BUILD} && touch '${pushedA}' && ${wait(pushedB)}` }),
      run(b, { ...inputs, 'build-command': `${wait(pushedA)} && ${SAMPLE_BUILD} && touch '${pushedB}'` }),
    ]);
    ok(runA);
    ok(runB);
    const holder = (await registry.resolve('blue', 'sha-4444444'))!.digest;
    expect(runA.outputs.digest).toBe(holder);
    expect(runB.outputs.digest).toBe(holder);
    expect((await registry.resolve('blue', 'latest'))!.digest).toBe(holder);
  });

  test('a build command that does not push is an error naming the missing tag', async () => {
    const r = await run(ws, { service: 'blue', 'build-command': 'echo building', 'source-sha': SHA3 });
    expect(failed(r)).toBe(
      `Input "build-command" ran successfully but ${server.url}/acme/blue:sha-3333333 still does not exist; the build must push the image to "$IMAGE:$TAG"`,
    );
    const exit = await run(ws, { service: 'blue', 'build-command': 'exit 3', 'source-sha': SHA3 });
    expect(failed(exit)).toMatch(/^Input "build-command" exited with code 3;/);
    const none = await run(ws, { service: 'blue', 'source-sha': SHA3 });
    expect(failed(none)).toMatch(/sha-3333333 does not exist and no "build-command" was given/);
  });

  test('values reach the build only as environment variables, never as shell text', async () => {
    const r = await run(ws, {
      service: 'red',
      'build-command': 'printf "%s|%s|%s" "$CONTEXT" "$IMAGE" "$TAG" > seen.txt',
    });
    failed(r);
    expect(readFileSync(join(ws, 'seen.txt'), 'utf8')).toBe(
      `${WEIRD_PATH}|${server.url}/acme/red|sha-1111111`,
    );
    expect(existsSync(join(ws, 'pwned'))).toBe(false);
  });

  test('moving tags move; an immutable tag elsewhere refuses the whole retag and writes nothing', async () => {
    ok(await run(ws, { service: 'blue', tags: 'dev\n1.0.0' }));
    const a = (await registry.resolve('blue', 'sha-1111111'))!.digest;
    const build2 = await run(
      ws,
      { service: 'blue', 'build-command': SAMPLE_BUILD, tags: 'dev, 1.0.0, qa' },
      { sha: SHA2 },
    );
    const b = (await registry.resolve('blue', 'sha-2222222'))!.digest;
    expect(b).not.toBe(a);
    expect(failed(build2)).toBe(
      `Refusing to retag ${server.url}/acme/blue@${b}: immutable tag would move (${server.url}/acme/blue:1.0.0 already points at ${a}). Tags with placeholders, sha-* and version tags never move; only plain tags like dev or prd do. Nothing was changed.`,
    );
    expect((await registry.resolve('blue', 'dev'))?.digest).toBe(a);
    expect(await registry.exists('blue', 'qa')).toBe(false);
    // The failure summary says what the run had already changed: the build it pushed.
    expect(build2.summary).toContain(`built and pushed ${server.url}/acme/blue:sha-2222222 (${b})`);

    const moved = ok(await run(ws, { service: 'blue', tags: '["dev","qa"]' }, { sha: SHA2 }));
    expect(moved.outputs).toMatchObject({
      built: 'false',
      digest: b,
      tags: JSON.stringify(['dev', 'qa', 'sha-2222222']),
    });
    expect(moved.stdout).toContain(`:dev (moving) moved from ${a}`);
    expect((await registry.resolve('blue', 'dev'))?.digest).toBe(b);
  });

  test('retag-only: a multi-arch index keeps its digest and every platform stays reachable', async () => {
    const { digest, image } = await pushTestImage(
      { url: `${server.url}` },
      'acme/multi',
      'build-42',
      'index',
    );
    const r = ok(
      await run(ws, { service: 'multi', 'from-tag': 'build-42', tags: 'staging\n{service}-{sha}' }),
    );
    expect(r.outputs).toMatchObject({
      digest,
      built: 'false',
      tag: '',
      tags: JSON.stringify(['build-42', 'multi-1111111', 'staging']),
    });
    for (const tag of ['staging', 'multi-1111111']) {
      const raw = execFileSync('skopeo', [
        'inspect',
        '--raw',
        '--tls-verify=false',
        `docker://${server.url}/acme/multi:${tag}`,
      ]);
      expect(raw.equals(image.manifest.bytes)).toBe(true);
    }
    for (const child of childManifests(image.manifest.bytes))
      expect((await registry.getManifest('multi', child.digest))?.digest).toBe(child.digest);
    const byDigest = ok(await run(ws, { service: 'multi', digest, tags: 'staging' }));
    expect(byDigest.stdout).toContain('Nothing changed');
  });

  test.each([
    [{ service: 'nope' }, /^Input "service": "nope" is not a service in \.github\/sd-actions\.yml/],
    [
      { service: 'blue', 'source-sha': 'HEAD~1' },
      /^Input "source-sha": "HEAD~1" is not valid; expected a commit SHA/,
    ],
    [
      { service: 'blue', digest: 'sha256:abc' },
      /^Input "digest": "sha256:abc" is not valid; expected a digest like sha256:/,
    ],
    [
      { service: 'blue', digest: `sha256:${'a'.repeat(64)}`, 'from-tag': 'dev' },
      /^Inputs "digest" and "from-tag" were both given/,
    ],
    [
      { service: 'blue', 'from-tag': 'dev', 'build-command': 'make' },
      /^Input "build-command" cannot be combined with "from-tag"/,
    ],
    [{ service: 'blue', tags: '{version}' }, /^Input "tags": "\{version\}" is not valid/],
    [{ service: 'blue', tags: 'ok,bad tag' }, /^Input "tags": "bad tag" is not a valid tag/],
    [
      { service: 'blue', 'from-tag': 'gone' },
      /^Input "from-tag": 127\.0\.0\.1:\d+\/acme\/blue:gone does not exist/,
    ],
  ])('bad input %j is refused by name and changes nothing', async (inputs, message) => {
    const before = await registry.listTags('blue');
    expect(failed(await run(ws, inputs))).toMatch(message);
    expect(await registry.listTags('blue')).toEqual(before);
  });

  test('through 503s, a 429 and a reset, the tag lands exactly once', async () => {
    let faults = 3;
    const proxy = await startProxy(server.url, (req) => {
      if (req.method !== 'PUT' || !req.path.endsWith('/manifests/canary') || faults === 0) return 'forward';
      faults--;
      return faults === 2
        ? { status: 503 }
        : faults === 1
          ? { status: 429, headers: { 'Retry-After': '1' } }
          : 'reset';
    });
    try {
      const proxied = workspace(
        'proxied',
        `registry: { type: oci, url: "${proxy.url}/acme", insecure: true }`,
      );
      const r = ok(await run(proxied, { service: 'blue', tags: 'canary' }));
      expect(r.outputs.tags).toContain('canary');
      expect(faults).toBe(0);
      expect(proxy.records.filter((x) => x.method === 'PUT' && x.forwarded)).toHaveLength(1);
      expect((await registry.resolve('blue', 'canary'))?.digest).toBe(r.outputs.digest);
    } finally {
      await proxy.stop();
    }
  });

  test('a retag costs at most 2 manifest requests per added tag, plus the one source read', async () => {
    // A repository of its own: tags other tests left on another digest would each cost a HEAD
    // when the "tags" output is worked out.
    const { digest } = await pushTestImage(server, 'acme/cheap', 'sha-2222222', 'single', 'cheap');
    const proxy = await startProxy(server.url);
    try {
      const counted = join(root, 'counted');
      writeFiles(counted, {
        '.github/sd-actions.yml': `registry: { type: oci, url: "${proxy.url}/acme", insecure: true }\nservices:\n  cheap: { path: projects/cheap }\n`,
        'projects/cheap/app.txt': 'cheap\n',
      });
      const r = ok(await run(counted, { service: 'cheap', tags: 'cheap-a,cheap-b' }, { sha: SHA2 }));
      expect(r.outputs).toMatchObject({ digest, built: 'false', tag: 'sha-2222222' });
      expect(r.outputs.tags).toBe(JSON.stringify(['cheap-a', 'cheap-b', 'sha-2222222']));
      const manifests = proxy.records.filter((x) => x.path.includes('/manifests/'));
      expect(manifests.filter((x) => x.method === 'PUT')).toHaveLength(2);
      // Two added tags: at most 2 × 2 manifest requests, plus the one read of the source.
      expect(manifests.length).toBeLessThanOrEqual(2 * 2 + 1);
    } finally {
      await proxy.stop();
    }
    for (const tag of ['cheap-a', 'cheap-b'])
      expect((await registry.resolve('cheap', tag))?.digest).toBe(digest);
  });
});

test('credentials from inputs are masked and reach a protected registry and the build', async () => {
  const ws = workspace('secured', `registry: { type: oci, url: "${secured.url}", insecure: true }`);
  const inputs = { service: 'blue', 'registry-username': AUTH.username, 'registry-password': AUTH.password };
  const r = ok(await run(ws, { ...inputs, 'build-command': SAMPLE_BUILD, tags: 'dev' }));
  expect(r.masked).toContain(AUTH.password);
  expect(r.stdout.replace(`::add-mask::${AUTH.password}`, '')).not.toContain(AUTH.password);
  expect(r.outputs.built).toBe('true');
  const anonymous = await run(ws, { service: 'blue' });
  expect(failed(anonymous)).toMatch(/needs credentials \(registry-username \/ registry-password\)/);
  // The refusal names the permission to grant (issue 9: errors that point at the fix).
  expect(failed(anonymous)).toContain('`permissions: packages: write`');
  const wrong = await run(ws, {
    service: 'blue',
    'registry-username': AUTH.username,
    'registry-password': 'wrong',
  });
  expect(failed(wrong)).toContain('`permissions: packages: write`');
  const half = await run(ws, { service: 'blue', 'registry-password': 'x' });
  expect(failed(half)).toBe(
    'Input "registry-password" was given without "registry-username"; expected both or neither',
  );
});

describe('on the embedded oci-layout registry (the default)', () => {
  test('builds with the sample builder, skopeo reads it, and a re-run reuses it', async () => {
    const ws = workspace('layout', '# no registry key: the default oci-layout in .sd-actions/registry');
    const first = ok(await run(ws, { service: 'blue', 'build-command': SAMPLE_BUILD, tags: 'dev' }));
    expect(first.outputs.image).toBe('.sd-actions/registry/blue');
    expect(first.outputs.built).toBe('true');
    const inspect = JSON.parse(
      execFileSync('skopeo', ['inspect', `oci:${join(ws, '.sd-actions/registry/blue')}:dev`], {
        encoding: 'utf8',
      }),
    ) as { Digest: string };
    expect(inspect.Digest).toBe(first.outputs.digest);
    const again = ok(await run(ws, { service: 'blue', 'build-command': 'exit 1', tags: 'dev' }));
    expect(again.outputs.built).toBe('false');
    expect(again.stdout).toContain('Nothing changed');
  });

  test('the AWS SDK is not loaded unless the ecr driver is used (bundle without the SDK chunk still runs)', async () => {
    const dist = join(ROOT, 'actions/build-once-tag/dist');
    const chunks = readdirSync(dist).filter((f) => /^\d+\.index\.js$/.test(f));
    const sdkChunks = chunks.filter((f) =>
      readFileSync(join(dist, f), 'utf8').includes('AmazonEC2ContainerRegistry_V20150921'),
    );
    expect(sdkChunks).toHaveLength(1);
    expect(readFileSync(join(dist, 'index.js'), 'utf8')).not.toContain(
      'AmazonEC2ContainerRegistry_V20150921',
    );
    const copy = join(root, 'action-copy');
    mkdirSync(copy);
    cpSync(join(ROOT, 'actions/build-once-tag/action.yml'), join(copy, 'action.yml'));
    cpSync(dist, join(copy, 'dist'), { recursive: true });
    rmSync(join(copy, 'dist', sdkChunks[0]!));
    const ws = workspace('lean', '');
    const r = ok(
      await run(ws, { service: 'blue', 'build-command': SAMPLE_BUILD }, { actionDir: relative(ROOT, copy) }),
    );
    expect(r.outputs.built).toBe('true');
  });
});

test('on ECR (wire-level fake, real AWS SDK in the bundle): retag-only, and an immutable refusal', async () => {
  const ecr = await startFakeEcr();
  try {
    const url = `${ecr.registryId}.dkr.ecr.us-east-1.amazonaws.com`;
    const ws = workspace('ecr', `registry: { type: ecr, url: ${url} }`);
    const env = {
      AWS_ENDPOINT_URL_ECR: ecr.endpoint,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'fake',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    };
    const repo = ecr.createRepository('blue', { immutable: true });
    const image = sampleImage('single', 'ecr-e2e');
    repo.images.set(image.manifest.digest, {
      manifest: image.manifest.bytes.toString(),
      mediaType: image.manifest.mediaType,
    });
    repo.tags.set('sha-1111111', image.manifest.digest);
    ecr.throttle('PutImage', 1);
    const r = ok(await run(ws, { service: 'blue', tags: 'dev' }, { env }));
    expect(r.outputs).toMatchObject({
      built: 'false',
      digest: image.manifest.digest,
      'image-ref': `${url}/blue@${image.manifest.digest}`,
      tags: JSON.stringify(['dev', 'sha-1111111']),
    });
    expect(ecr.calls.filter((c) => c.operation === 'PutImage').map((c) => c.status)).toEqual([400, 200]);

    const other = sampleImage('single', 'other');
    repo.images.set(other.manifest.digest, {
      manifest: other.manifest.bytes.toString(),
      mediaType: other.manifest.mediaType,
    });
    repo.tags.set('sha-2222222', other.manifest.digest);
    // dev is a moving tag for us, but this ECR repository is immutable: ECR says no, naming both digests.
    const refused = await run(ws, { service: 'blue', tags: 'dev' }, { env, sha: SHA2 });
    expect(failed(refused)).toContain(
      `dev already points at ${image.manifest.digest}; refusing to point it at ${other.manifest.digest}`,
    );
    expect(repo.tags.get('dev')).toBe(image.manifest.digest);
  } finally {
    await ecr.stop();
  }
});
