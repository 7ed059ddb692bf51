/**
 * The reference reading of a config file with the `yaml` library: a Document with positions, so
 * every problem can name its line and column. parseConfig only loads this module (and `yaml`)
 * when its fast path (js-yaml, no positions) finds something wrong or unusual; a valid config
 * never pays for it. Not exported from the package: import it dynamically.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { UserError, show } from './errors.js';

export type KeyPath = (string | number)[];
export type Location = { file: string; line?: number; column?: number };

/**
 * The first key (by position) that repeats a key of the same mapping, with where it and the first
 * occurrence start. One Set per mapping: linear in the size of the document. Scalar keys
 * are compared by value (so `1` and `"1"` differ, as in YAML); a mapping or sequence as a key
 * is never a duplicate here.
 */
function duplicateKey(doc: Document): { key: unknown; offset: number; firstOffset: number } | undefined {
  let found: { key: unknown; offset: number; firstOffset: number } | undefined;
  // A plain walk (yaml's visit() builds a frozen path array per node: ~10x slower here).
  const walk = (node: unknown): void => {
    if (isMap(node)) {
      const seen = new Map<unknown, number>();
      for (const pair of node.items) {
        walk(pair.key);
        walk(pair.value);
        if (!isScalar(pair.key)) continue;
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(pair.key.value);
        if (first === undefined) seen.set(pair.key.value, offset);
        else if (!found || offset < found.offset) found = { key: pair.key.value, offset, firstOffset: first };
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item);
    }
  };
  walk(doc.contents);
  return found;
}

/**
 * Parse config text to its plain JS value, and a way to find the line of a key path in it.
 * Throws a UserError with line and column for invalid YAML and for repeated keys.
 */
export function readConfigDocument(
  text: string,
  file: string,
): { value: unknown; locate: (path: KeyPath) => Location } {
  const lines = new LineCounter();
  // uniqueKeys: false, because the library's check compares every key with every other key of
  // its mapping (quadratic in the number of services); duplicateKey does it in one pass.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const invalid = (offset: number, message: string): never => {
    const pos = lines.linePos(offset);
    throw new UserError(`${file}: not valid YAML at line ${pos.line}, column ${pos.col}: ${message}`, {
      file,
      line: pos.line,
      column: pos.col,
    });
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    invalid(err.pos[0], err.message.split('\n')[0]!);
  }
  const duplicate = duplicateKey(doc);
  if (duplicate) {
    const first = lines.linePos(duplicate.firstOffset);
    invalid(
      duplicate.offset,
      `Map keys must be unique; ${show(duplicate.key)} is repeated (first at line ${first.line})`,
    );
  }
  const locate = (path: KeyPath, atKey = false): Location => {
    // A key's own position (an unknown or misnamed key), rather than its value's.
    if (atKey && path.length > 0) {
      const parent = doc.getIn(path.slice(0, -1), true);
      if (isMap(parent)) {
        const last = path[path.length - 1];
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) {
          const pos = lines.linePos(range[0]);
          return { file, line: pos.line, column: pos.col };
        }
      }
    }
    // Walk up until a node exists (a missing key is reported at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { file, line: pos.line, column: pos.col };
      }
    }
    return { file };
  };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The `yaml` library's guard against alias bombs ("billion laughs").
    if (err instanceof ReferenceError && /alias/i.test(err.message))
      throw new UserError(
        `${file}: too many YAML alias expansions (more than 100); expected a config without deeply nested aliases (*name)`,
        { file },
      );
    throw err;
  }
  return { value, locate };
}
