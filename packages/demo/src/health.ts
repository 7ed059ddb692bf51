/**
 * The sample services' health endpoints: one real HTTP server on loopback standing in for every
 * service in every environment. `GET /<environment>/<service>/health` answers what the
 * environment's manifest on origin says runs there, as a deployed service would report itself:
 *
 *   {"service":"red","environment":"staging","version":"0.2.0","digest":"sha256:…","status":"UP"}
 *
 * A version marked broken (`breaks`) reports `"status":"DOWN"` wherever it runs: the release that
 * turns unhealthy, which verify-deployment must catch. Nothing here judges: the config's verify
 * block (its conditions) does.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { parseManifest } from '@sd-actions/core';

const run = promisify(execFile);

export interface HealthEndpoints {
  /** http://127.0.0.1:<port> */
  base: string;
  /** From now on, `service` at `version` reports DOWN in every environment. */
  breaks(service: string, version: string): void;
  stop(): Promise<void>;
}

export async function startHealthEndpoints(options: {
  /** The bare origin holding the environment branches. */
  origin: string;
  /** environment → branch, and the manifest path template (`{environment}`). */
  branches: Record<string, string>;
  manifests: string;
}): Promise<HealthEndpoints> {
  const broken = new Set<string>();

  async function running(environment: string, service: string) {
    const branch = options.branches[environment];
    if (!branch) return undefined;
    const file = options.manifests.replace('{environment}', environment);
    try {
      const { stdout } = await run('git', ['--git-dir', options.origin, 'show', `${branch}:${file}`]);
      return parseManifest(stdout, file).services.get(service);
    } catch {
      return undefined; // no branch or no manifest yet: nothing runs there
    }
  }

  const server: Server = createServer((req, res) => {
    const m = /^\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._-]+)\/health$/.exec(req.url ?? '');
    const answer = async () => {
      const entry = m ? await running(m[1]!, m[2]!) : undefined;
      if (!m || !entry) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"status":"UNKNOWN"}');
        return;
      }
      const [, environment, service] = m;
      const status = broken.has(`${service}@${entry.version}`) ? 'DOWN' : 'UP';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ service, environment, version: entry.version, digest: entry.digest, status }));
    };
    answer().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    breaks: (service, version) => void broken.add(`${service}@${version}`),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
