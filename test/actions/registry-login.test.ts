/**
 * registry-login runs `docker login` for the config's registry, the password on stdin. No docker
 * engine here: a stand-in `docker` on PATH records its arguments and stdin, as the runner's would
 * receive them. ECR goes through the wire-level fake and the real AWS SDK in the bundle.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runAction, startFakeEcr, tempDir, writeFiles } from '@sd-actions/testkit';

let root: string;
let bin: string;
const calls = () => join(root, 'docker-calls');

function workspace(name: string, registry: string): string {
  const ws = join(root, name);
  writeFiles(ws, { '.github/sd-actions.yml': `${registry}\nservices:\n  blue: { path: blue }\n` });
  return ws;
}
const docker = () => ({
  args: readFileSync(`${calls()}.args`, 'utf8').trim().split('\n'),
  stdin: readFileSync(`${calls()}.stdin`, 'utf8'),
});
const env = (extra: Record<string, string> = {}) => ({
  PATH: `${bin}:${process.env.PATH}`,
  FAKE_DOCKER_LOG: calls(),
  ...extra,
});

beforeAll(() => {
  root = tempDir('registry-login-');
  bin = join(root, 'bin');
  writeFiles(bin, {
    docker: [
      '#!/bin/sh',
      'printf "%s\\n" "$@" > "$FAKE_DOCKER_LOG.args"',
      'cat > "$FAKE_DOCKER_LOG.stdin"',
      'if [ -n "$FAKE_DOCKER_FAIL" ]; then echo "$FAKE_DOCKER_FAIL" >&2; exit 1; fi',
      'echo "Login Succeeded"',
      '',
    ].join('\n'),
  });
  chmodSync(join(bin, 'docker'), 0o755);
});
afterAll(() => removeDir(root));

describe('registry-login', () => {
  test('oci (GHCR): docker login to the host, the token on stdin only, masked', async () => {
    rmSync(`${calls()}.args`, { force: true });
    const run = await runAction('registry-login', {
      workspace: workspace('ghcr', 'registry: { type: oci, url: ghcr.io/acme }'),
      inputs: { 'registry-username': 'octo', 'registry-password': 'ghs_secret-token' },
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(docker()).toEqual({
      args: ['login', 'ghcr.io', '--username', 'octo', '--password-stdin'],
      stdin: 'ghs_secret-token',
    });
    expect(run.outputs).toMatchObject({ registry: 'ghcr.io', 'logged-in': 'true' });
    expect(run.masked).toContain('ghs_secret-token');
    expect(run.stdout.replace(/::add-mask::.*\n/g, '')).not.toContain('ghs_secret-token');
  });

  test('ecr: a GetAuthorizationToken token (user AWS) on stdin', async () => {
    const ecr = await startFakeEcr();
    try {
      rmSync(`${calls()}.args`, { force: true });
      const host = `${ecr.registryId}.dkr.ecr.us-east-1.amazonaws.com`;
      const run = await runAction('registry-login', {
        workspace: workspace('ecr', `registry: { type: ecr, url: ${host} }`),
        env: env({
          AWS_ENDPOINT_URL_ECR: ecr.endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'fake',
          AWS_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        }),
      });
      expect(run.code).toBe(0);
      expect(docker()).toEqual({
        args: ['login', host, '--username', 'AWS', '--password-stdin'],
        stdin: 'fake-ecr-password',
      });
      expect(run.masked).toContain('fake-ecr-password');
    } finally {
      await ecr.stop();
    }
  });

  test('oci without credentials: a warning saying what to pass; no login', async () => {
    rmSync(`${calls()}.args`, { force: true });
    const run = await runAction('registry-login', {
      workspace: workspace('nocreds', 'registry: { type: oci, url: ghcr.io/acme }'),
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(existsSync(`${calls()}.args`)).toBe(false);
    expect(run.outputs['logged-in']).toBe('false');
    expect(run.annotations.map((a) => `${a.level}: ${a.message}`).join('\n')).toMatch(
      /warning: no registry-username\/registry-password given for ghcr\.io.*packages: write/,
    );
  });

  test('a refused login names the permission and the inputs to check', async () => {
    const run = await runAction('registry-login', {
      workspace: workspace('denied', 'registry: { type: oci, url: ghcr.io/acme }'),
      inputs: { 'registry-username': 'octo', 'registry-password': 'wrong' },
      env: env({ FAKE_DOCKER_FAIL: 'Error response from daemon: denied: denied' }),
    });
    expect(run.code).not.toBe(0);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /docker login ghcr\.io failed .*denied.*registry-username and registry-password .*packages: write/,
    );
  });
});
