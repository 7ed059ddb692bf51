/**
 * The fast path of parseConfig: config text to the same plain JS value as the `yaml` library's
 * `parseDocument(text).toJS()` (what config-document.ts reads), with js-yaml, which builds no
 * Document: ~5x faster and a third of the memory on a 2,000-service config.
 *
 * It answers only when it is sure to agree with the `yaml` library, and gives up (undefined)
 * otherwise; parseConfig then takes the reference path, which also produces the messages with
 * line and column. It gives up on anything js-yaml rejects (syntax, repeated keys, unknown tags,
 * several documents), and on what the two libraries read differently:
 *  - directives (`%YAML 1.1` switches the `yaml` library to YAML 1.1 scalars and merge keys);
 *  - anchors (the `yaml` library limits alias expansion; js-yaml shares the node);
 *  - the non-specific tag `!`, and explicit tags (SCHEMA knows none, so js-yaml throws);
 *  - a mapping or sequence used as a key (js-yaml joins `[a]` into "a", `yaml` writes "[ a ]").
 * Plain scalars resolve by SCHEMA, a copy of the YAML 1.2 core schema as the `yaml` library
 * implements it: js-yaml's CORE_SCHEMA agrees on null and booleans but not on all numbers (it
 * reads 0b101 and -0x1f as numbers, -.5 and 400-digit integers as strings; the `yaml` library
 * does the opposite).
 *
 * Before js-yaml, scanConfig (config-scan.ts) tries the subset of YAML that real configs use.
 */
import { load, Schema, Type, type State } from 'js-yaml';
import { BOOL, NULL, number, scanConfig } from './config-scan.js';

// The tags are private, so an explicit `!!int` or `!!str` is an unknown tag to js-yaml: it throws.
const SCALAR = (name: string, resolve: (data: string) => boolean, construct: (data: string) => unknown) =>
  new Type(`tag:sd-actions,2025:${name}`, {
    kind: 'scalar',
    resolve: (data: unknown) => typeof data === 'string' && resolve(data),
    construct,
  });

// The `yaml` library's core schema: the same rules as the scanner's (config-scan.ts).
const SCHEMA = new Schema({
  implicit: [
    SCALAR(
      'null',
      (data) => NULL.test(data),
      () => null,
    ),
    SCALAR(
      'bool',
      (data) => BOOL.test(data),
      (data) => data[0] === 't' || data[0] === 'T',
    ),
    SCALAR(
      'number',
      (data) => number(data) !== undefined,
      (data) => number(data),
    ),
  ],
});

const DIRECTIVE = /^%/m;

/** The plain JS value of `text`, as the `yaml` library reads it; undefined when unsure. */
export function loadPlain(text: string): { value: unknown } | undefined {
  // Most configs: the scanner for the usual subset of YAML, several times faster than js-yaml.
  const scanned = scanConfig(text);
  if (scanned) return scanned;
  if (DIRECTIVE.test(text)) return undefined;
  const built = new Set<object>();
  let unusual = false;
  let value: unknown;
  try {
    value = load(text, {
      schema: SCHEMA,
      listener(event, state) {
        if (event !== 'close') return;
        const s = state as State & { anchor: string | null; tag: string | null };
        if (s.anchor !== null || s.tag === '!') unusual = true;
        else if ((s.kind === 'mapping' || s.kind === 'sequence') && s.result !== null) built.add(s.result);
      },
    });
  } catch {
    return undefined;
  }
  if (unusual) return undefined;
  // Every collection js-yaml built must be in the value, once: one that is not was a key.
  let reachable = 0;
  let stray = false;
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (!built.has(node)) stray = true;
    reachable++;
    for (const child of Array.isArray(node) ? node : Object.values(node)) walk(child);
  };
  walk(value);
  if (stray || reachable !== built.size) return undefined;
  return { value };
}
