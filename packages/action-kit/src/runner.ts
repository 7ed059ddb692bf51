/**
 * The GitHub runner's command protocol, the part of it our actions use: inputs, outputs, masks,
 * log lines, annotations, groups and the step summary. It replaces `@actions/core`, which pulls in
 * an HTTP client (for OIDC tokens we never request) and costs ~65 ms and ~25 MB at start-up.
 *
 * Exposed as the `core` namespace of `@sd-actions/action-kit`, with @actions/core's names and
 * signatures, so `core.setOutput(...)` reads the same as before. Formats follow the runner
 * (actions/runner ActionCommandManager) and @actions/core: workflow commands are
 * `::name key=value,key=value::message` lines on stdout; outputs and the summary are appended to
 * the files named by GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync } from 'node:fs';
import { EOL } from 'node:os';

/** Where an annotation points; the names of @actions/core's AnnotationProperties. */
export interface AnnotationProperties {
  title?: string;
  file?: string;
  startLine?: number;
  endLine?: number;
  startColumn?: number;
  endColumn?: number;
}

export interface InputOptions {
  required?: boolean;
  /** Trim leading and trailing whitespace (default true). */
  trimWhitespace?: boolean;
}

/** A value as the runner receives it: strings as they are, anything else as JSON, nothing as ''. */
export function toCommandValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || value instanceof String) return String(value);
  return JSON.stringify(value);
}

/** Escape a command's message: the runner reads up to the end of the line. */
export function escapeData(value: unknown): string {
  return toCommandValue(value).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a property value: also `:` (ends the properties) and `,` (separates them). */
export function escapeProperty(value: unknown): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Format one workflow command line (without the line ending). Empty properties are left out. */
export function formatCommand(
  command: string,
  properties: Record<string, string | number | undefined>,
  message: unknown,
): string {
  const props = Object.entries(properties)
    .filter(([, v]) => v !== undefined && v !== '' && v !== 0)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${command}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

export function issueCommand(
  command: string,
  properties: Record<string, string | number | undefined>,
  message: unknown,
): void {
  process.stdout.write(formatCommand(command, properties, message) + EOL);
}

/** The runner's property names for an annotation (line, col), from @actions/core's names. */
function annotation(properties: AnnotationProperties): Record<string, string | number | undefined> {
  return {
    title: properties.title,
    file: properties.file,
    line: properties.startLine,
    endLine: properties.endLine,
    col: properties.startColumn,
    endColumn: properties.endColumn,
  };
}

/** Input `name` from INPUT_<NAME> (spaces become `_`, upper-cased), trimmed unless told not to. */
export function getInput(name: string, options: InputOptions = {}): string {
  const value = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '';
  if (options.required && !value) throw new Error(`Input required and not supplied: ${name}`);
  return options.trimWhitespace === false ? value : value.trim();
}

/**
 * crypto.randomUUID(), from /dev/urandom where there is one: loading node:crypto costs ~7 ms of
 * start-up, a tenth of detect-changed-service's budget. Elsewhere (Windows), node:crypto.
 */
export function randomUuid(): string {
  const bytes = Buffer.alloc(16);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    if (readSync(fd, bytes, 0, 16, null) !== 16) throw new Error('short read from /dev/urandom');
  } catch {
    return process.getBuiltinModule('node:crypto').randomUUID();
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The `name<<delimiter` block the runner reads from a file command. The delimiter is random and
 * must not occur in the name or the value, or the value could end the block early and forge
 * further outputs.
 */
export function formatKeyValue(
  name: string,
  value: unknown,
  delimiter = `ghadelimiter_${randomUuid()}`,
): string {
  const text = toCommandValue(value);
  if (name.includes(delimiter))
    throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  if (text.includes(delimiter))
    throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  return `${name}<<${delimiter}${EOL}${text}${EOL}${delimiter}`;
}

function appendFileCommand(variable: string, text: string): void {
  const file = process.env[variable]!;
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, `${text}${EOL}`, { encoding: 'utf8' });
}

/**
 * Set a step output: appended to the GITHUB_OUTPUT file; without one (an old runner, a local
 * run), the legacy `::set-output` command, as @actions/core does.
 */
export function setOutput(name: string, value: unknown): void {
  if (process.env.GITHUB_OUTPUT) {
    appendFileCommand('GITHUB_OUTPUT', formatKeyValue(name, value));
    return;
  }
  process.stdout.write(EOL);
  issueCommand('set-output', { name }, toCommandValue(value));
}

/** Mask a value in the log from now on. */
export function setSecret(secret: string): void {
  issueCommand('add-mask', {}, secret);
}

export function isDebug(): boolean {
  return process.env.RUNNER_DEBUG === '1';
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function debug(message: string): void {
  issueCommand('debug', {}, message);
}

function messageOf(message: string | Error): string {
  return message instanceof Error ? message.toString() : message;
}

export function notice(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('notice', annotation(properties), messageOf(message));
}

export function warning(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('warning', annotation(properties), messageOf(message));
}

export function error(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('error', annotation(properties), messageOf(message));
}

/** Fail the step: an error annotation and exit code 1 (the process is left to end by itself). */
export function setFailed(message: string | Error): void {
  process.exitCode = 1;
  error(message);
}

export function startGroup(name: string): void {
  issueCommand('group', {}, name);
}

export function endGroup(): void {
  issueCommand('endgroup', {}, '');
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
 * Append markdown (and a line ending) to the step summary. Without GITHUB_STEP_SUMMARY there is
 * no summary to write and this does nothing; a variable naming a missing file is an error.
 */
export function appendSummary(markdown: string): void {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  appendFileCommand('GITHUB_STEP_SUMMARY', markdown);
}
