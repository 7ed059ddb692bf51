/** registry-login — `docker login` to the config's registry before a build pushes to it. */
import { loginPlan, UserError } from '@sd-actions/core';
import {
  log,
  configInput,
  getString,
  loadConfigFile,
  readContext,
  readRegistryCredentials,
  runProcess,
  writeSummary,
} from '@sd-actions/action-kit';
import { EcrRegistry } from '@sd-actions/registry';

export async function run(): Promise<void> {
  const context = readContext();
  const workspace = getString('working-directory') ?? context.workspace;
  const config = await loadConfigFile(workspace, configInput());
  const credentials = readRegistryCredentials();
  const plan = loginPlan(config.registry, Boolean(credentials?.password));
  log.setOutput('logged-in', 'false');
  if (plan.kind === 'skip') {
    log.setOutput('registry', '');
    if (config.registry.type === 'oci') log.warning(plan.reason);
    else log.info(plan.reason);
    return;
  }
  let username: string;
  let password: string;
  if (plan.kind === 'ecr') {
    const token = await new EcrRegistry(config.registry.url).dockerCredentials();
    username = token.username ?? 'AWS';
    password = token.password ?? '';
  } else {
    username = credentials!.username;
    password = credentials!.password!;
  }
  log.setSecret(password);
  const result = await runProcess(
    'docker',
    ['login', plan.host, '--username', username, '--password-stdin'],
    {
      input: password,
    },
  );
  if (result.code !== 0) {
    const why = result.stderr.trim().split('\n').slice(-1)[0] ?? '';
    const fix =
      plan.kind === 'ecr'
        ? 'check the role has ecr:GetAuthorizationToken and the job has id-token: write'
        : /unauthorized|denied|401|403/i.test(why)
          ? 'check registry-username and registry-password (for GHCR: github.actor and GITHUB_TOKEN, and the job needs permissions: packages: write)'
          : 'check the registry address in registry.url';
    throw new UserError(`docker login ${plan.host} failed (exit ${result.code}): ${why}; ${fix}`);
  }
  log.setOutput('registry', plan.host);
  log.setOutput('logged-in', 'true');
  log.info(`Logged in to ${plan.host} as ${username}`);
  await writeSummary(`Logged docker in to \`${plan.host}\` (${plan.kind}).\n`);
}
