/**
 * A real OCI registry for tests and benchmarks: Debian's `docker-registry` (CNCF distribution)
 * on a free loopback port, storage in a temp dir, optionally behind htpasswd (bcrypt). Plus a
 * loopback proxy to put in front of it (count requests, inject 503/429/resets, demand bearer
 * tokens) and helpers that push real images: single-platform, OCI index, Docker manifest list.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { OciRegistry } from '@sd-actions/registry';
import { buildImage, buildIndex, pushImage, type BuiltImage, type Flavour } from './sample-image.js';
import { removeDir, tempDir } from './repos.js';

export * from './ecr-fake.js';

export const DOCKER_REGISTRY = '/usr/bin/docker-registry';

export interface RegistryServer {
  /** host:port, the form config `registry.url` takes. */
  url: string;
  port: number;
  dir: string;
  /** The registry's own log (access log lines included). */
  logFile: string;
  auth?: { username: string; password: string };
  log(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForV2(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`docker-registry exited (${child.exitCode}):\n${readFileSync(logFile, 'utf8')}`);
    try {
      const res = await fetch(`http://${url}/v2/`);
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry on ${url} did not answer /v2/ in 15 s`);
}

/** Start docker-registry; with `auth`, behind htpasswd basic auth. */
export async function startRegistry(
  options: { auth?: { username: string; password: string } } = {},
): Promise<RegistryServer> {
  const dir = tempDir('registry-');
  const port = await freePort();
  const url = `127.0.0.1:${port}`;
  const storage = join(dir, 'storage');
  mkdirSync(storage);
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(storage)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${url}`,
    '  secret: sd-actions-test-secret',
  ];
  if (options.auth) {
    const htpasswd = join(dir, 'htpasswd');
    writeFileSync(htpasswd, `${options.auth.username}:${bcrypt.hashSync(options.auth.password, 6)}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: sd-actions-test', `    path: ${JSON.stringify(htpasswd)}`);
  }
  const configFile = join(dir, 'config.yml');
  writeFileSync(configFile, lines.join('\n') + '\n');
  const logFile = join(dir, 'registry.log');
  const log = createWriteStream(logFile);
  const child = spawn(DOCKER_REGISTRY, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  try {
    await waitForV2(url, child, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    port,
    dir,
    logFile,
    auth: options.auth,
    log: () => readFileSync(logFile, 'utf8'),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      log.end();
      removeDir(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A loopback proxy in front of a server: counts what passes, and can answer or break requests.

export interface ProxiedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type ProxyDecision =
  'forward' | 'reset' | { status: number; headers?: Record<string, string>; body?: string | Buffer };

export interface ProxyRecord {
  method: string;
  path: string;
  status: number;
  /** Request + response body bytes. */
  requestBytes: number;
  responseBytes: number;
  forwarded: boolean;
}

export interface Proxy {
  url: string;
  port: number;
  records: ProxyRecord[];
  stop(): Promise<void>;
}

export async function startProxy(
  target: string,
  decide: (req: ProxiedRequest) => ProxyDecision | Promise<ProxyDecision> = () => 'forward',
): Promise<Proxy> {
  const records: ProxyRecord[] = [];
  const [targetHost, targetPort] = target.split(':');
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const info: ProxiedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
      };
      void Promise.resolve(decide(info)).then((decision) => {
        if (decision === 'reset') {
          records.push({
            ...pick(info),
            status: 0,
            requestBytes: body.length,
            responseBytes: 0,
            forwarded: false,
          });
          req.socket.destroy();
          return;
        }
        if (decision !== 'forward') {
          const out = decision.body === undefined ? Buffer.alloc(0) : Buffer.from(decision.body);
          records.push({
            ...pick(info),
            status: decision.status,
            requestBytes: body.length,
            responseBytes: out.length,
            forwarded: false,
          });
          res.writeHead(decision.status, { 'Content-Length': String(out.length), ...decision.headers });
          res.end(out);
          return;
        }
        const upstream = httpRequest(
          {
            host: targetHost,
            port: Number(targetPort),
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (up) => {
            const parts: Buffer[] = [];
            up.on('data', (c: Buffer) => parts.push(c));
            up.on('end', () => {
              const out = Buffer.concat(parts);
              records.push({
                ...pick(info),
                status: up.statusCode ?? 0,
                requestBytes: body.length,
                responseBytes: out.length,
                forwarded: true,
              });
              res.writeHead(up.statusCode ?? 502, up.headers);
              res.end(out);
            });
          },
        );
        upstream.on('error', () => req.socket.destroy());
        upstream.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `127.0.0.1:${port}`,
    port,
    records,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function pick(info: ProxiedRequest): { method: string; path: string } {
  return { method: info.method, path: info.path };
}

// ---------------------------------------------------------------------------------------------
// Real images pushed over the Distribution API.

export type ImageKind = 'single' | 'docker' | 'index' | 'docker-list';

/** A small real image of the given kind; `seed` makes its content (and digest) unique. */
export function sampleImage(kind: ImageKind, seed: string): BuiltImage {
  const files = (arch: string) => [
    { path: `srv/app-${arch}.txt`, data: Buffer.from(`${seed} on ${arch}\n`) },
  ];
  const flavour: Flavour = kind === 'docker' || kind === 'docker-list' ? 'docker' : 'oci';
  if (kind === 'single' || kind === 'docker') return buildImage({ files: files('amd64'), flavour });
  const platforms = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ];
  return buildIndex(
    platforms.map((platform) => ({
      image: buildImage({ files: files(platform.architecture), flavour, platform }),
      platform,
    })),
    flavour,
  );
}

/** Push an image of `kind` to `<registry>/<repository>:<tag>`; returns its digest. */
export async function pushTestImage(
  server: { url: string; auth?: { username: string; password: string } },
  repository: string,
  tag: string,
  kind: ImageKind = 'single',
  seed: string = `${repository}:${tag}`,
): Promise<{ digest: string; image: BuiltImage }> {
  const registry = new OciRegistry(server.url, true, { credentials: server.auth });
  const image = sampleImage(kind, seed);
  const digest = await pushImage(registry, repository, tag, image);
  return { digest, image };
}
