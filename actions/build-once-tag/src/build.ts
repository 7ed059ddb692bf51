/** Run the user's build command for build-once-tag, with our values passed only as environment variables. */
import { UserError, type Config, type ServiceConfig } from '@sd-actions/core';
import { log, runProcess, type readRegistryCredentials } from '@sd-actions/action-kit';

export async function build(
  command: string,
  vars: Record<string, string | undefined>,
  cwd: string,
): Promise<void> {
  // The user's own command, like a run: step. Our values reach it only as environment variables.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('INPUT_')) env[k] = v;
  Object.assign(env, vars);
  log.startGroup(`build-command for ${vars.IMAGE}:${vars.TAG}`);
  let result;
  try {
    result = await runProcess('bash', ['-c', command], { cwd, env, inherit: true });
  } finally {
    log.endGroup();
  }
  if (result.code !== 0)
    throw new UserError(
      `Input "build-command" exited with code ${result.code}; ${vars.IMAGE}:${vars.TAG} was not built (see the log above)`,
    );
}

/** The environment variables the build command gets (README: build-once-tag). */
export function buildVariables(
  config: Config,
  service: ServiceConfig,
  o: {
    image: string;
    shaTag: string;
    sourceSha: string;
    labels: string[];
    credentials: ReturnType<typeof readRegistryCredentials>;
  },
): Record<string, string> {
  return {
    IMAGE: o.image,
    TAG: o.shaTag,
    SERVICE: service.name,
    SOURCE_SHA: o.sourceSha,
    CONTEXT: service.path,
    LABELS: o.labels.join('\n'),
    REGISTRY_TYPE: config.registry.type,
    REGISTRY_URL: config.registry.url,
    REGISTRY_INSECURE: String(config.registry.insecure),
    REPOSITORY: service.image,
    ...(o.credentials
      ? { REGISTRY_USERNAME: o.credentials.username, REGISTRY_PASSWORD: o.credentials.password ?? '' }
      : {}),
  };
}
