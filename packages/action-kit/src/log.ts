/**
 * The actions' runner glue, a thin layer over `@actions/core`: every line an action writes to the
 * log goes through `neutralise`, the one choke point that stops a value (a file name from a pull
 * request, a manifest field, an event or an input) from starting a workflow command.
 *
 * The runner treats a log line as a command when, after leading whitespace, it starts with `::`
 * (`::warning ...::`, `::add-mask::`, `::stop-commands::`), and also when `##[` (the older
 * syntax) appears anywhere in it. A value containing a newline can start such a line. So each
 * line of every message is neutralised: a leading `::` becomes `: :`, and `##[` becomes `## [`.
 * Both stay readable in the log and neither is a command any more. Annotation messages and titles
 * get the same treatment (their newlines are escaped by `@actions/core`).
 *
 * Exposed as the `log` namespace of `@sd-actions/action-kit` (and, for older code, as `core`).
 */
import * as actions from '@actions/core';
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';

export type AnnotationProperties = actions.AnnotationProperties;
export type InputOptions = actions.InputOptions;

/** `::` after leading whitespace (JS's `\s`, plus NEL, which .NET's Trim also removes). */
const LEADING_COMMAND = /^([\s\u0085]*)::/;

/** One log line made inert: it cannot start a workflow command, in either syntax. */
export function neutraliseLine(line: string): string {
  return line.replace(LEADING_COMMAND, '$1: :').replace(/##\[/g, '## [');
}

/**
 * Text made safe to log: split into lines (LF, CRLF or a lone CR, which the runner also reads
 * as a line end), each line neutralised, joined with LF.
 */
export function neutralise(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map(neutraliseLine)
    .join('\n');
}

function messageOf(message: string | Error): string {
  return neutralise(message instanceof Error ? message.toString() : String(message));
}

function propertiesOf(properties: AnnotationProperties = {}): AnnotationProperties {
  return properties.title === undefined ? properties : { ...properties, title: neutralise(properties.title) };
}

export function info(message: string): void {
  actions.info(neutralise(String(message)));
}

export function debug(message: string): void {
  actions.debug(neutralise(String(message)));
}

export function notice(message: string | Error, properties?: AnnotationProperties): void {
  actions.notice(messageOf(message), propertiesOf(properties));
}

export function warning(message: string | Error, properties?: AnnotationProperties): void {
  actions.warning(messageOf(message), propertiesOf(properties));
}

export function error(message: string | Error, properties?: AnnotationProperties): void {
  actions.error(messageOf(message), propertiesOf(properties));
}

/** Fail the step: an error annotation and exit code 1 (the process is left to end by itself). */
export function setFailed(message: string | Error): void {
  process.exitCode = 1;
  error(message);
}

export function startGroup(name: string): void {
  actions.startGroup(neutralise(String(name)));
}

export function endGroup(): void {
  actions.endGroup();
}

export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  startGroup(name);
  try {
    return await fn();
  } finally {
    endGroup();
  }
}

/**
 * Mask a secret in the log from now on: the whole value, and each of its lines on its own (the
 * runner matches masks per line, so a multi-line secret is only hidden line by line).
 */
export function setSecret(secret: string): void {
  if (!secret) return;
  actions.setSecret(secret);
  const lines = secret.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
  if (lines.length > 1) for (const line of lines) actions.setSecret(line);
}

// Re-exported, not assigned (`export const x = actions.x` is code the bundler must keep): an
// action that does not call getIDToken does not bundle @actions/http-client and undici, which
// @actions/core loads for it (see packages/devtools/src/side-effects-free.mjs).
export {
  getInput,
  getBooleanInput,
  getMultilineInput,
  setOutput,
  exportVariable,
  saveState,
  getState,
  getIDToken,
  isDebug,
  summary,
} from '@actions/core';

/**
 * Append markdown (and a line ending) to the step summary, synchronously. Without
 * GITHUB_STEP_SUMMARY there is no summary and this does nothing; a variable naming a missing file
 * is an error. Prefer `writeSummary` (through `summary`); this stays for synchronous callers.
 */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, `${markdown}${EOL}`, { encoding: 'utf8' });
}
