/** sd-actions validate: the config parses, and every service path (and literal dependsOn path) exists. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { missingServicePaths, parseConfig, UserError, type Config } from '@sd-actions/core';

/** Read the config from a checkout, telling a missing directory from a missing file. */
export async function readConfig(repo: string, configPath: string): Promise<Config> {
  const dir = resolve(repo);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UserError(`--repo ${JSON.stringify(repo)}: no such directory`);
  const full = isAbsolute(configPath) ? configPath : join(dir, configPath);
  if (!existsSync(full))
    throw new UserError(
      `--config ${JSON.stringify(configPath)}: no such file in ${dir}; write one (see the README) or run sd-actions init to propose it`,
    );
  return await parseConfig(readFileSync(full, 'utf8'), configPath);
}

export async function validate(
  repo: string,
  configPath: string,
): Promise<{ config: Config; errors: string[] }> {
  const config = await readConfig(repo, configPath);
  const errors = missingServicePaths(config, (path) => existsSync(join(resolve(repo), path))).map(
    (m) => `${configPath}: ${m.message}`,
  );
  return { config, errors };
}
