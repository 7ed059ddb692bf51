/**
 * Child processes through `@actions/exec`, always as an argument array: values never pass through
 * a shell. Output is captured (as bytes) unless the caller asks for it to stream to the log, as a
 * build does. A process library, not runner glue: it writes no workflow commands.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { exec } from '@actions/exec';

const resolvedTools = new Map<string, string>();

/**
 * The absolute path of a command, looked up on PATH once per process. `@actions/exec` resolves a
 * bare name with a PATH walk (a stat per directory) on every call; detect runs dozens of git
 * processes, so that walk was a measurable part of its start-up. A rooted path costs one check.
 */
export function toolPath(command: string, path = process.env.PATH ?? ''): string {
  if (process.platform === 'win32' || command.includes('/')) return command;
  const key = `${command}\0${path}`;
  let found = resolvedTools.get(key);
  if (found === undefined) {
    found = command; // not found: let @actions/exec report it the usual way
    for (const dir of path.split(delimiter)) {
      if (!dir) continue;
      const candidate = join(dir, command);
      try {
        if (!statSync(candidate).isFile()) continue;
        accessSync(candidate, constants.X_OK);
        found = candidate;
        break;
      } catch {
        // not here
      }
    }
    resolvedTools.set(key, found);
  }
  return found;
}

export interface ProcessResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface ProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Stream output to the log as it arrives (builds); otherwise it is captured. */
  inherit?: boolean;
}

export async function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const env = Object.fromEntries(
    Object.entries(options.env ?? process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );
  const code = await exec(toolPath(command, env.PATH), [...args], {
    cwd: options.cwd,
    env,
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    // Never echo the command line (`[command]…`): a multi-line argument could start a workflow
    // command in the log. Streamed output is passed through as the process wrote it.
    silent: true,
    ignoreReturnCode: true,
    failOnStdErr: false,
    listeners: {
      stdout: (chunk: Buffer) => (options.inherit ? process.stdout.write(chunk) : out.push(chunk)),
      stderr: (chunk: Buffer) => (options.inherit ? process.stderr.write(chunk) : err.push(chunk)),
    },
  });
  return { code: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
}
