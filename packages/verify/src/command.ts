/**
 * The smoke-test command: bash in the workspace, through @actions/exec with an argument array
 * (the command text is bash's `-c` argument, never spliced into another shell line). It gets
 * the verification's values only as SD_SERVICE, SD_ENVIRONMENT, SD_VERSION and SD_DIGEST, and is
 * bounded by coreutils `timeout`. Output is captured (never echoed to the log: it could hold
 * workflow commands); the last lines are kept for the report.
 */
import * as exec from '@actions/exec';

export interface CommandResult {
  exitCode: number;
  /** The last lines of stdout and stderr, interleaved as they came. */
  lines: string[];
  timedOut: boolean;
}

export interface CommandOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** How many lines to keep. */
  keep?: number;
}

export type CommandRunner = (command: string, options: CommandOptions) => Promise<CommandResult>;

export const bashCommandRunner: CommandRunner = async (command, options) => {
  const keep = options.keep ?? 20;
  const lines: string[] = [];
  const push = (line: string) => {
    lines.push(line);
    if (lines.length > keep) lines.shift();
  };
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  const exitCode = await exec.exec(
    'timeout',
    ['--kill-after=10', String(seconds), 'bash', '--noprofile', '--norc', '-eo', 'pipefail', '-c', command],
    {
      cwd: options.cwd,
      env: options.env,
      silent: true,
      ignoreReturnCode: true,
      listeners: { stdline: push, errline: push },
    },
  );
  return { exitCode, lines, timedOut: exitCode === 124 || exitCode === 137 };
};
