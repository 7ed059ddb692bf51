/** Run the user's build command for build-once-tag, with our values passed only as environment variables. */
import { UserError } from '@sd-actions/core';
import { log, runProcess } from '@sd-actions/action-kit';

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
