/**
 * Typed action inputs. The runner passes every input as a string in INPUT_<NAME>; these readers
 * turn them into values or reject them with a message that names the input, the value and what
 * was expected.
 */
import * as log from './log.js';
import { UserError, show } from '@sd-actions/core';

function raw(name: string): string {
  return log.getInput(name, { trimWhitespace: true });
}

function bad(name: string, value: string, expected: string): never {
  throw new UserError(`Input "${name}": ${show(value)} is not valid; expected ${expected}`);
}

export interface StringOptions {
  required?: boolean;
  /** A pattern the value must match, with its description for the error. */
  pattern?: RegExp;
  expected?: string;
}

export function getString(name: string, options: StringOptions & { required: true }): string;
export function getString(name: string, options?: StringOptions): string | undefined;
export function getString(name: string, options: StringOptions = {}): string | undefined {
  const value = raw(name);
  if (value === '') {
    if (options.required) throw new UserError(`Input "${name}" is required but was not given`);
    return undefined;
  }
  if (options.pattern && !options.pattern.test(value))
    bad(name, value, options.expected ?? `a value matching ${options.pattern}`);
  return value;
}

/**
 * A boolean input, as strict as `@actions/core`'s getBooleanInput (the YAML 1.2 core schema:
 * true, True, TRUE, false, False, FALSE), with a fallback when the input is not given and an
 * error that names the input and the value.
 */
export function getBoolean(name: string, fallback = false): boolean {
  const value = raw(name);
  if (value === '') return fallback;
  try {
    return log.getBooleanInput(name, { trimWhitespace: true });
  } catch {
    return bad(name, value, 'true or false (YAML 1.2: true, True, TRUE, false, False, FALSE)');
  }
}

export function getEnum<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(name);
  if (value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) bad(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

export function getInteger(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw(name);
  if (value === '') return fallback;
  if (!/^-?\d+$/.test(value) || Number(value) < min || Number(value) > max)
    bad(name, value, `a whole number from ${min} to ${max}`);
  return Number(value);
}

export function getJson<T = unknown>(name: string): T | undefined {
  const value = raw(name);
  if (value === '') return undefined;
  try {
    return JSON.parse(value) as T;
  } catch (err) {
    return bad(name, value, `JSON (${(err as Error).message})`);
  }
}

/**
 * A list given one item per line, comma-separated, or as a JSON array (what a previous step's
 * JSON output looks like). Blank lines and `#` comments are ignored.
 */
export function getList(name: string): string[] {
  const value = raw(name);
  if (value === '') return [];
  if (value.startsWith('[')) {
    const parsed = getJson<unknown>(name);
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string'))
      bad(name, value, 'a JSON array of strings');
    return (parsed as string[]).map((s) => s.trim()).filter(Boolean);
  }
  return value
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, ''))
    .flatMap((line) => line.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
}
