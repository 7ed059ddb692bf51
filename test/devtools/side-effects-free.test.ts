/**
 * The build declares @actions/core side-effect free to the bundler (packages/devtools/src/
 * side-effects-free.mjs): an action that does not call getIDToken does not carry (nor evaluate at
 * start-up) @actions/http-client and undici; one that does still gets a working getIDToken.
 */
import { describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NODE24, ROOT, parseFileCommands } from '@sd-actions/testkit';

const preload = pathToFileURL(join(ROOT, 'packages', 'devtools', 'src', 'side-effects-free.mjs')).href;

/** package.json fields as read through fs in a process with the preload. */
function readWithPreload(names: string[]): Record<string, unknown>[] {
  const script = `
    const fs = require('node:fs');
    const files = ${JSON.stringify(names.map((n) => join(ROOT, 'node_modules', n, 'package.json')))};
    const out = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')).sideEffects ?? null);
    out.push(JSON.parse(fs.readFileSync(files[0]).toString()).sideEffects ?? null);
    fs.readFile(files[0], (err, data) => {
      if (err) throw err;
      out.push(JSON.parse(data.toString()).sideEffects ?? null);
      console.log(JSON.stringify(out));
    });`;
  const r = spawnSync(process.execPath, ['--import', preload, '-e', script], {
    env: { ...process.env, NODE_OPTIONS: '', SD_ACTIONS_SIDE_EFFECT_FREE: JSON.stringify(['@actions/core']) },
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

describe('side-effect-free packages in the bundles', () => {
  test('the preload flags only the listed packages, for sync and callback reads', () => {
    // @actions/core (utf8, Buffer, callback), then @actions/exec untouched.
    const [core, exec, buffer, callback] = readWithPreload(['@actions/core', '@actions/exec']);
    expect([core, buffer, callback]).toEqual([false, false, false]);
    expect(exec).toBeNull();
  });

  test('detect-changed-service carries no HTTP client (run npm run build first)', () => {
    const dist = join(ROOT, 'actions', 'detect-changed-service', 'dist');
    const text = readdirSync(dist)
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(dist, f), 'utf8'))
      .join('\n');
    expect(text).toContain('GITHUB_OUTPUT'); // @actions/core is in
    expect(text).not.toMatch(/undici|actions\/oidc-client/);
  });

  test(
    'an action calling getIDToken still bundles a working OIDC client',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'sd-oidc-bundle-'));
      const server = createServer((req, res) => {
        const ok =
          req.headers.authorization === 'Bearer request-token' &&
          req.url?.includes('audience=sts.amazonaws.com');
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify(ok ? { value: 'the-id-token' } : { message: 'unauthorised' }));
      });
      try {
        const ncc = join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
        const entry = join('test', 'devtools', 'fixtures', 'oidc-entry.ts');
        const build = spawnSync(
          process.execPath,
          ['--import', preload, ncc, 'build', entry, '--out', out, '--quiet'],
          {
            cwd: ROOT,
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              SD_ACTIONS_SIDE_EFFECT_FREE: JSON.stringify(['@actions/core']),
            },
            encoding: 'utf8',
          },
        );
        expect(build.status).toBe(0);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const { port } = server.address() as { port: number };
        const outputFile = join(out, 'output');
        writeFileSync(outputFile, '');
        // Asynchronously: the token server answers from this process.
        const child = spawn(NODE24, [join(out, 'index.js')], {
          env: {
            PATH: process.env.PATH,
            GITHUB_OUTPUT: outputFile,
            ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
        const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
        const run = { status, stdout, stderr };
        expect(run).toMatchObject({ status: 0, stderr: '' });
        expect(parseFileCommands(readFileSync(outputFile, 'utf8'))).toEqual({ token: 'the-id-token' });
        expect(run.stdout).toContain('::add-mask::the-id-token');
      } finally {
        server.close();
        rmSync(out, { recursive: true, force: true });
      }
    },
    10 * 60_000, // an ncc build: minutes on a loaded machine, never a measure of speed
  );
});
