/**
 * Child processes through `@actions/exec`, always as an argument array: values never pass through
 * a shell. Output is captured (as bytes) unless the caller asks for it to stream to the log, as a
 * build does. A process library, not runner glue: it writes no workflow commands.
 */
import { exec } from '@actions/exec';

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
  const code = await exec(command, [...args], {
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
