/**
 * The sd-actions command line.
 *
 *   sd-actions status   [--repo DIR] [--config PATH] [--remote NAME] [--json] [--html FILE]
 *                       [--history SERVICE [--environment ENV]] [--token T --github-repo OWNER/NAME]
 *   sd-actions init     --owner OWNER [--repo DIR] [--ref REF] [--registry TYPE:URL] [--force] [--dry-run]
 *   sd-actions check    [--repo DIR] [--config PATH] [--ref REF]
 *   sd-actions validate [--repo DIR] [--config PATH]
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isUserError, renderStatusHtml, renderStatusViewText, UserError } from '@sd-actions/core';
import { checkCallers } from './check.js';
import { init } from './init.js';
import { historyFor, readStatusView, renderHistoryBlocks } from './status.js';
import { readConfig, validate } from './validate.js';

const CONFIG = '.github/sd-actions.yml';

const COMMANDS = {
  status: {
    usage:
      'sd-actions status [--repo DIR] [--config PATH] [--remote NAME] [--json] [--html FILE]\n' +
      '                         [--history SERVICE [--environment ENV]] [--token TOKEN] [--github-repo OWNER/NAME] [--api-url URL]',
    about:
      'What runs where: every service in every environment, read from the GitOps branches.\n' +
      'Each cell: version, short digest, verified ✓ / unhealthy ✗ / unverified, how it stands against its from\n' +
      'environment (behind by version or commit ancestry), quarantined versions (⛔), open approval requests (⏳,\n' +
      'only with --token or GITHUB_TOKEN and the repository). --history SERVICE: the ledger (promotions,\n' +
      'verifications, rollbacks, approvals, overrides), newest first. --html FILE: one self-contained page.',
  },
  init: {
    usage:
      'sd-actions init --owner OWNER [--repo DIR] [--ref REF] [--registry TYPE:URL] [--force] [--dry-run]',
    about:
      'Propose .github/sd-actions.yml and write the caller workflows with the service choices filled in.\n' +
      'A service is a directory with a Dockerfile. --owner: the owner of your sd-actions copy;\n' +
      '--ref: the ref callers pin (default v1); --registry: oci:ghcr.io/acme (default), ecr:<host>, oci-layout:DIR.',
  },
  check: {
    usage: 'sd-actions check [--repo DIR] [--config PATH] [--ref REF]',
    about:
      'Fail when the caller workflows disagree with the config (for your CI).\n' +
      "A caller's service choices, environments and pinned sd-actions ref must match the config (and --ref).",
  },
  validate: {
    usage: 'sd-actions validate [--repo DIR] [--config PATH]',
    about: 'Check the config, and that every service path and literal dependsOn path exists.',
  },
} as const;
type Command = keyof typeof COMMANDS;

const HELP = `usage: sd-actions <command> [options]

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.about.split('\n')[0]}`)
  .join('\n')}

Options shared by every command:
  --repo DIR      the checkout of your monorepo (default: the current directory)
  --config PATH   the config file, relative to --repo (default: ${CONFIG})
  -h, --help      this help, or a command's: sd-actions <command> --help`;

const OPTIONS = {
  repo: { type: 'string' },
  config: { type: 'string' },
  remote: { type: 'string' },
  json: { type: 'boolean' },
  html: { type: 'string' },
  history: { type: 'string' },
  environment: { type: 'string' },
  token: { type: 'string' },
  'github-repo': { type: 'string' },
  'api-url': { type: 'string' },
  owner: { type: 'string' },
  ref: { type: 'string' },
  registry: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
const ALLOWED: Record<Command, string[]> = {
  status: [
    'repo',
    'config',
    'remote',
    'json',
    'html',
    'history',
    'environment',
    'token',
    'github-repo',
    'api-url',
  ],
  init: ['repo', 'owner', 'ref', 'registry', 'force', 'dry-run'],
  check: ['repo', 'config', 'ref'],
  validate: ['repo', 'config'],
};

function parseRegistry(text: string): { type: 'oci' | 'ecr' | 'oci-layout'; url: string } {
  const m = /^(oci|ecr|oci-layout):(.+)$/.exec(text);
  if (!m) throw new UserError(`--registry ${JSON.stringify(text)}: expected TYPE:URL, e.g. oci:ghcr.io/acme`);
  return { type: m[1] as 'oci' | 'ecr' | 'oci-layout', url: m[2]! };
}

export async function main(argv: string[], out = console.log, err = console.error): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: OPTIONS,
    strict: true,
  });
  const command = positionals[0] as Command | undefined;
  if (!command) {
    (values.help ? out : err)(HELP);
    return values.help ? 0 : 2;
  }
  if (!(command in COMMANDS)) {
    err(`sd-actions: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
    return 2;
  }
  const spec = COMMANDS[command];
  if (values.help) {
    out(`usage: ${spec.usage}\n\n${spec.about}`);
    return 0;
  }
  const extra = Object.keys(values).filter((k) => !ALLOWED[command].includes(k));
  if (positionals.length > 1 || extra.length > 0) {
    err(
      `sd-actions ${command}: ${extra.length ? `--${extra[0]} is not an option of ${command}` : `unexpected argument ${JSON.stringify(positionals[1])}`}\nusage: ${spec.usage}`,
    );
    return 2;
  }
  const repo = (values.repo as string | undefined) ?? process.cwd();
  const configPath = (values.config as string | undefined) ?? CONFIG;

  switch (command) {
    case 'status': {
      await readConfig(repo, configPath); // a missing directory or file, said as a CLI says it
      if (values.environment !== undefined && values.history === undefined) {
        err(`sd-actions status: --environment goes with --history SERVICE\nusage: ${spec.usage}`);
        return 2;
      }
      const token = (values.token as string | undefined) ?? process.env.GITHUB_TOKEN;
      const github = {
        ...(token ? { token } : {}),
        ...((values['github-repo'] ?? process.env.GITHUB_REPOSITORY)
          ? { repository: (values['github-repo'] as string | undefined) ?? process.env.GITHUB_REPOSITORY }
          : {}),
        ...((values['api-url'] ?? process.env.GITHUB_API_URL)
          ? { apiUrl: (values['api-url'] as string | undefined) ?? process.env.GITHUB_API_URL }
          : {}),
      };
      const { config, view } = await readStatusView({
        repo,
        config: configPath,
        remote: values.remote as string | undefined,
        github,
      });
      const history =
        values.history === undefined
          ? undefined
          : historyFor(config, view, {
              service: values.history as string,
              environment: values.environment as string | undefined,
            });
      if (values.html !== undefined) {
        const file = resolve(values.html as string);
        writeFileSync(
          file,
          renderStatusHtml(view, {
            generatedAt: new Date().toISOString(),
            ...(history ? { service: values.history as string } : {}),
          }),
        );
        (values.json ? err : out)(`Wrote ${file}`);
      }
      if (values.json) out(JSON.stringify(history ?? view.rows, null, 2));
      else if (history) out(renderHistoryBlocks(history).trimEnd());
      // A terminal gets a table that fits it; a pipe gets every detail.
      else if (values.html === undefined)
        out(renderStatusViewText(view, process.stdout.isTTY ? { maxWidth: process.stdout.columns } : {}));
      return 0;
    }
    case 'init': {
      if (!values.owner) {
        err(`sd-actions init: --owner is required (the owner of your sd-actions copy)\nusage: ${spec.usage}`);
        return 2;
      }
      const result = await init({
        repo,
        owner: values.owner as string,
        ref: values.ref as string | undefined,
        registry: values.registry ? parseRegistry(values.registry as string) : undefined,
        force: Boolean(values.force),
        dryRun: Boolean(values['dry-run']),
      });
      out(
        `Found ${result.services.length} service(s): ${result.services.map((s) => `${s.name} (${s.path})`).join(', ')}`,
      );
      if (values['dry-run']) {
        out(`\n# ${result.config.path} (not written: --dry-run)\n${result.config.text}`);
        out(`Would write: ${[result.config.path, ...result.templates.map((t) => t.path)].join(', ')}`);
      } else {
        out(`Wrote ${result.written.join(', ')}.`);
        out('Next: review the config, sd-actions validate, sd-actions check, commit, push.');
      }
      return 0;
    }
    case 'validate': {
      const { config, errors } = await validate(repo, configPath);
      for (const e of errors) err(`error: ${e}`);
      if (errors.length) return 1;
      out(`${configPath}: valid; ${config.services.size} service(s), every path exists.`);
      return 0;
    }
    case 'check': {
      const config = await readConfig(repo, configPath);
      const result = checkCallers(repo, config, { ref: values.ref as string | undefined });
      for (const p of result.problems) err(`error: ${p}`);
      if (result.problems.length) return 1;
      out(
        `${result.callers.length} caller workflow(s) agree with ${configPath} (services, environments, sd-actions @${result.refs.join(', ')}).`,
      );
      return 0;
    }
  }
}

if (process.argv[1] && import.meta.filename === (await import('node:fs')).realpathSync(process.argv[1])) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (e) {
    const known = isUserError(e) || String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    // Shared code names action inputs; a CLI names its options.
    const message = (e as Error).message.replace(/Input "([\w-]+)"/g, '--$1');
    console.error(known ? `sd-actions: ${message}\n(sd-actions --help for usage)` : e);
    process.exitCode = 1;
  }
}
