/**
 * sd-actions status [--repo DIR] [--config PATH] [--remote NAME] [--json]
 *
 * Prints services × environments — version, short digest, when and by whom, and which
 * environments are behind the one they are promoted from — read from the GitOps branches.
 */
import { parseArgs } from 'node:util';
import { isUserError, statusMatrix } from '@sd-actions/core';
import { readStatus, statusText } from './status.js';

const USAGE = 'usage: sd-actions status [--repo DIR] [--config PATH] [--remote NAME] [--json]';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      repo: { type: 'string', default: process.cwd() },
      config: { type: 'string' },
      remote: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals[0] !== 'status' || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const options = { repo: values.repo!, config: values.config, remote: values.remote };
  if (values.json) {
    const { config, deployed } = await readStatus(options);
    console.log(JSON.stringify(statusMatrix(config, deployed), null, 2));
  } else {
    console.log(await statusText(options));
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  const known = isUserError(err) || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  console.error(known ? `sd-actions: ${(err as Error).message}\n${USAGE}` : err);
  process.exitCode = 1;
}
