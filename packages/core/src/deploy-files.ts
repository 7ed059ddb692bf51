/**
 * Byte-preserving edits of deployment YAML: environment manifests, kustomizations and Helm
 * values files. Humans own these files, so an edit touches only the bytes of the values it
 * changes (or appends the lines of keys it adds); comments, key order, quoting, anchors,
 * blank lines and every other entry stay exactly as they were.
 *
 * How: the document is parsed with source ranges, each change becomes a text splice at those
 * ranges, and the result is parsed again and compared with the intended data. An edit that
 * would change anything else (a value shared through an anchor, say) is refused rather than
 * written, so a surprising result can never reach a GitOps branch.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parse,
  parseDocument,
  Scalar,
  visit,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { UserError, show } from './errors.js';
import { normaliseRepoPath, writablePathProblem } from './paths.js';

export type YamlKey = string | number;
export type YamlValue = string | { readonly [key: string]: YamlValue };

interface Splice {
  start: number;
  end: number;
  text: string;
}

type Range = [number, number, number];

// Merge keys (`<<: *defaults`) are common in hand-written manifests; read them as yq does.
const PARSE_OPTIONS = { merge: true, uniqueKeys: true, prettyErrors: false } as const;

/** Parse one YAML document, or throw a UserError naming the file, line and column. */
export function parseYamlDocument(text: string, file: string): Document.Parsed {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines });
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    throw new UserError(
      `${file}: not valid YAML at line ${pos.line}, column ${pos.col}: ${err.message.split('\n')[0]}`,
      { file, line: pos.line, column: pos.col },
    );
  }
  return doc;
}

function toJS(doc: Document, file = 'the YAML document'): unknown {
  try {
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    // The `yaml` library's guard against alias bombs: a clear refusal, not an unexpected error.
    if (err instanceof ReferenceError && /alias/i.test(err.message))
      throw new UserError(
        `${file}: too many YAML alias expansions (more than 1000); expected a file without deeply nested aliases (*name)`,
        { file },
      );
    throw err;
  }
}

function keyName(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null ? String(node.value) : undefined;
}

function showPath(path: readonly YamlKey[]): string {
  return path.length ? path.join('.') : '(top level)';
}

// YAML 1.1 readers (older tools) turn these plain words into booleans or numbers.
const YAML11_SPECIAL =
  /^(?:y|n|yes|no|on|off|true|false|null|~|[-+]?0[0-7_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$/i;
const PLAIN_SAFE = /^[A-Za-z0-9_./@+-][A-Za-z0-9_./@+:=~-]*$/;

/** Plain when the text reads back as the same string everywhere; otherwise double-quoted. */
export function renderScalar(value: string, style?: Scalar.Type): string {
  const printable = !/[\u0000-\u001f\u007f]/.test(value);
  if (style === Scalar.QUOTE_SINGLE && printable) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE || !printable) return JSON.stringify(value);
  const plainOk =
    PLAIN_SAFE.test(value) && !value.endsWith(':') && !YAML11_SPECIAL.test(value) && parse(value) === value;
  return plainOk ? value : JSON.stringify(value);
}

/** An editable YAML document that keeps every byte it does not have to change. */
export class YamlEditor {
  private current: string;
  private doc: Document.Parsed;
  private readonly eol: string;

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.current = text;
    this.doc = parseYamlDocument(text, file);
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
  }

  get text(): string {
    return this.current;
  }

  /** The indentation step new nested lines get (the document's own, else 2). */
  get indentUnit(): number {
    return this.indentStep();
  }

  /** The whole document as plain data (aliases and merge keys resolved). */
  toJS(): unknown {
    return toJS(this.doc, this.file);
  }

  /** The plain value at a path, or undefined when any step is missing. */
  getIn(path: readonly YamlKey[]): unknown {
    let cur: unknown = this.toJS();
    for (const key of path) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[key as string];
    }
    return cur;
  }

  /**
   * Set a value (a string, or a mapping of strings set key by key) at a path, creating missing
   * mappings. Returns false, changing nothing, when the document already says so.
   */
  setIn(path: readonly YamlKey[], value: YamlValue): boolean {
    if (isDeepStrictEqual(this.getIn(path), value)) return false;
    if (typeof value !== 'string') {
      const existing = this.explicitNode(path);
      if (isMap(existing)) {
        let changed = false;
        for (const [key, item] of Object.entries(value))
          changed = this.setIn([...path, key], item) || changed;
        return changed;
      }
    }
    // A fresh conversion is our private copy to apply the change to.
    const expected = this.toJS() ?? {};
    assignIn(expected, path, value, this.file);
    const splices = this.plan(path, value);
    splices.sort((a, b) => b.start - a.start);
    let next = this.current;
    for (const s of splices) next = next.slice(0, s.start) + s.text + next.slice(s.end);
    const doc = parseYamlDocument(next, this.file);
    if (!isDeepStrictEqual(toJS(doc), expected)) {
      throw new UserError(
        `${this.file}: cannot set ${showPath(path)} without changing other entries too (the value is shared through a YAML anchor, alias or merge key); write it out in place once by hand`,
      );
    }
    this.current = next;
    this.doc = doc;
    return true;
  }

  /** The node written at a path (no alias or merge resolution), if any. */
  private explicitNode(path: readonly YamlKey[]): unknown {
    let node: unknown = this.doc.contents;
    for (const key of path) {
      if (isMap(node)) node = node.items.find((p) => keyName(p.key) === String(key))?.value;
      else if (isSeq(node) && typeof key === 'number') node = node.items[key];
      else return undefined;
    }
    return node;
  }

  private plan(path: readonly YamlKey[], value: YamlValue): Splice[] {
    let node: unknown = this.doc.contents;
    if (node === null || (isScalar(node) && node.value === null && isEmptyRange(node.range)))
      return [this.appendAtEnd(this.blockLines(path, value, 0))];
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => keyName(p.key) === String(key));
        if (!pair) return [this.insertIntoMap(node, path.slice(i), value)];
        const v = pair.value;
        if (isNullish(v) || (isMap(v) && v.flow && v.items.length === 0 && typeof value !== 'string'))
          return this.fillEmptyValue(node, pair, path.slice(i + 1), value);
        if (last) return this.replaceValue(v, path, value);
        node = v;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (item === undefined)
          throw new UserError(`${this.file}: ${showPath(path.slice(0, i + 1))} does not exist`);
        if (last) return this.replaceValue(item, path, value);
        node = item;
      } else if (isAlias(node)) {
        throw new UserError(
          `${this.file}: ${showPath(path.slice(0, i))} is an alias (*${node.source}); cannot edit a shared value in place`,
        );
      } else {
        throw new UserError(
          `${this.file}: ${showPath(path.slice(0, i))} is ${describe(node)}; expected a mapping with ${show(String(key))}`,
        );
      }
    }
    throw new UserError(`${this.file}: cannot set an empty path`);
  }

  private replaceValue(node: unknown, path: readonly YamlKey[], value: YamlValue): Splice[] {
    if (typeof value !== 'string' || !(isScalar(node) || isAlias(node)))
      throw new UserError(
        `${this.file}: ${showPath(path)} is ${describe(node)}; expected ${typeof value === 'string' ? 'a single value' : 'a mapping'}`,
      );
    const [start, end] = node.range as Range;
    let text = renderScalar(value, isScalar(node) ? node.type : undefined);
    // A block scalar's range runs to its final newline; keep the line break.
    if (this.current.slice(start, end).endsWith('\n'))
      text += this.current.slice(start, end).endsWith('\r\n') ? '\r\n' : '\n';
    const splices: Splice[] = [{ start, end, text }];
    // An anchored scalar that is aliased elsewhere: those aliases keep the old value, written out.
    if (isScalar(node) && node.anchor) {
      const anchor = node.anchor;
      const literal = this.current.slice(start, end);
      visit(this.doc, {
        Alias: (_key, alias) => {
          if (alias.source === anchor && alias.range)
            splices.push({ start: alias.range[0], end: alias.range[1], text: literal });
        },
      });
    }
    return splices;
  }

  /** A key whose value is empty (`services:`, `services: ~`, `services: {}`): write the value under it. */
  private fillEmptyValue(parent: YAMLMap, pair: Pair, rest: readonly YamlKey[], value: YamlValue): Splice[] {
    const key = pair.key as Node;
    const keyRange = key.range as Range;
    const v = pair.value as Node | null;
    const colon = this.current.indexOf(':', keyRange[1]);
    if (parent.flow) {
      const text =
        rest.length === 0 && typeof value === 'string' ? renderScalar(value) : flowText(rest, value);
      if (v && !isEmptyRange(v.range)) return [{ start: v.range![0], end: v.range![1], text }];
      return [{ start: colon + 1, end: colon + 1, text: ` ${text}` }];
    }
    if (rest.length === 0 && typeof value === 'string') {
      const text = renderScalar(value);
      if (v && !isEmptyRange(v.range)) return [{ start: v.range![0], end: v.range![1], text }];
      return [{ start: colon + 1, end: colon + 1, text: ` ${text}` }];
    }
    const splices: Splice[] = [];
    let lineFrom = colon + 1;
    if (v && !isEmptyRange(v.range)) {
      // Drop the `~` / `{}` (and the space before it); a comment after it stays on the key's line.
      let start = v.range![0];
      while (start > colon + 1 && this.current[start - 1] === ' ') start--;
      splices.push({ start, end: v.range![1], text: '' });
      lineFrom = v.range![1];
    }
    const indent = this.column(keyRange[0]) + this.indentStep();
    splices.push(this.insertAfterLine(lineFrom, this.blockLines(rest, value, indent)));
    return splices;
  }

  private insertIntoMap(map: YAMLMap, rest: readonly YamlKey[], value: YamlValue): Splice {
    if (rest.some((k) => typeof k === 'number'))
      throw new UserError(`${this.file}: ${rest.join('.')} does not exist; list items are never created`);
    const range = map.range as Range;
    if (map.flow) {
      const text = flowText(rest, value);
      const lastPair = map.items[map.items.length - 1];
      if (!lastPair) {
        const close = this.current.lastIndexOf('}', range[1]);
        return { start: close, end: close, text };
      }
      const end = ((lastPair.value ?? lastPair.key) as Node).range![1];
      return { start: end, end, text: `, ${text}` };
    }
    const first = map.items[0]!.key as Node;
    return this.insertAfterLine(range[1] - 1, this.blockLines(rest, value, this.column(first.range![0])));
  }

  /** Insert whole lines after the line holding `offset`. */
  private insertAfterLine(offset: number, lines: string): Splice {
    const nl = this.current.indexOf('\n', Math.max(0, offset));
    if (nl === -1) return this.appendAtEnd(lines);
    return { start: nl + 1, end: nl + 1, text: lines };
  }

  private appendAtEnd(lines: string): Splice {
    const end = this.current.length;
    const text = end > 0 && !this.current.endsWith('\n') ? this.eol + lines : lines;
    return { start: end, end, text };
  }

  private blockLines(keys: readonly YamlKey[], value: YamlValue, indent: number): string {
    const pad = ' '.repeat(indent);
    if (keys.length === 0) {
      if (typeof value === 'string') throw new Error('blockLines: a value needs a key');
      return Object.entries(value)
        .map(([k, v]) => this.blockLines([k], v, indent))
        .join('');
    }
    const [head, ...tail] = keys;
    const key = renderScalar(String(head));
    if (tail.length === 0 && typeof value === 'string')
      return `${pad}${key}: ${renderScalar(value)}${this.eol}`;
    return `${pad}${key}:${this.eol}${this.blockLines(tail, value, indent + this.indentStep())}`;
  }

  private column(offset: number): number {
    return offset - (this.current.lastIndexOf('\n', offset - 1) + 1);
  }

  /** The document's own indentation step (2 unless a nested block mapping says otherwise). */
  private indentStep(): number {
    let step: number | undefined;
    visit(this.doc, {
      Pair: (_key, pair) => {
        if (step !== undefined) return visit.BREAK;
        const k = pair.key as Node | null;
        const v = pair.value;
        if (isMap(v) && !v.flow && v.items[0] && k?.range) {
          const childKey = v.items[0].key as Node;
          const diff = this.column(childKey.range![0]) - this.column(k.range[0]);
          if (diff > 0 && this.lineOf(childKey.range![0]) > this.lineOf(k.range[0])) step = diff;
        }
        return undefined;
      },
    });
    return step ?? 2;
  }

  private lineOf(offset: number): number {
    let n = 0;
    for (let i = this.current.indexOf('\n'); i !== -1 && i < offset; i = this.current.indexOf('\n', i + 1))
      n++;
    return n;
  }
}

function isNullish(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function isEmptyRange(range: Range | null | undefined): boolean {
  return !range || range[0] === range[1];
}

function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return `an alias (*${node.source})`;
  if (isPair(node)) return 'a pair';
  if (isScalar(node)) return `the value ${show(node.value)}`;
  return 'empty';
}

function flowText(keys: readonly YamlKey[], value: YamlValue): string {
  if (keys.length === 0) {
    if (typeof value === 'string') return renderScalar(value);
    return `{${Object.entries(value)
      .map(([k, v]) => flowText([k], v))
      .join(', ')}}`;
  }
  const [head, ...tail] = keys;
  const inner = tail.length === 0 && typeof value === 'string' ? renderScalar(value) : flowText(tail, value);
  return `${renderScalar(String(head))}: ${inner}`;
}

function assignIn(target: unknown, path: readonly YamlKey[], value: YamlValue, file: string): void {
  let cur = target as Record<string, unknown>;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = cur[key];
    if (next === null || next === undefined) cur[key] = {};
    else if (typeof next !== 'object')
      throw new UserError(`${file}: ${showPath(path.slice(0, i + 1))} is ${show(next)}; expected a mapping`);
    cur = cur[key] as Record<string, unknown>;
  }
  const leaf = path[path.length - 1] as string;
  if (typeof value === 'string') cur[leaf] = value;
  else {
    const existing = cur[leaf];
    const base = existing && typeof existing === 'object' ? (existing as Record<string, unknown>) : {};
    cur[leaf] = base;
    for (const [k, v] of Object.entries(value)) assignIn(base, [k], v, file);
  }
}

// ---- kustomize and Helm files for promote-manifest's `files` input ----

export type DeployValueField = 'version' | 'digest' | 'image' | 'image-ref' | 'commit';
export const DEPLOY_VALUE_FIELDS: readonly DeployValueField[] = [
  'version',
  'digest',
  'image',
  'image-ref',
  'commit',
];

export type DeployFileSpec =
  | { kind: 'kustomize'; path: string }
  | { kind: 'values'; path: string; key: string[]; field: DeployValueField };

export interface DeployValues {
  version: string;
  digest: string;
  /** Image repository, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/blue. */
  image: string;
  commit?: string;
  /** Names a kustomization's `images[].name` may use for this service (full repository, short name). */
  imageNames: readonly string[];
}

const KUSTOMIZATION = /(?:^|\/)(?:kustomization\.ya?ml|Kustomization)$/;
const KEY_SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * One line of the `files` input:
 *   `k8s/overlays/dev/kustomization.yaml`          images[] entry of the service: newTag + digest
 *   `charts/blue/values.yaml:blue.image.tag`       that key := the version
 *   `charts/blue/values.yaml:blue.image.digest=digest`   that key := digest (or version, image, image-ref, commit)
 */
export function parseDeployFileSpec(line: string, input = 'files'): DeployFileSpec {
  const bad = (expected: string): never => {
    throw new UserError(`Input "${input}": ${show(line)} is not valid; expected ${expected}`);
  };
  const m = /^([^:=]+)(?::([^=]+))?(?:=(.+))?$/.exec(line.trim());
  if (!m) return bad('a repository path, optionally with :key.path and =field');
  const normalised = normaliseRepoPath(m[1]!.trim());
  if ('problem' in normalised || normalised.path === '.')
    return bad(
      `a path inside the repository (${'problem' in normalised ? normalised.problem : 'is the root'})`,
    );
  const path = normalised.path;
  const unwritable = writablePathProblem(path);
  if (unwritable) return bad(`a deployment file (${unwritable})`);
  if (!m[2]) {
    if (m[3]) return bad('path:key.path=field (a field needs a key path)');
    if (!KUSTOMIZATION.test(path))
      return bad(
        'a kustomization.yaml, or a values file with the key to set, like values.yaml:blue.image.tag',
      );
    return { kind: 'kustomize', path };
  }
  const key = m[2].trim().split('.');
  if (key.some((k) => !KEY_SEGMENT.test(k)))
    return bad('a dotted key path of letters, digits, "_" and "-", like blue.image.tag');
  const field = (m[3]?.trim() ?? 'version') as DeployValueField;
  if (!DEPLOY_VALUE_FIELDS.includes(field)) return bad(`a field among ${DEPLOY_VALUE_FIELDS.join(', ')}`);
  return { kind: 'values', path, key, field };
}

/** Apply one `files` entry to the file's text. */
export function editDeployFile(
  text: string,
  spec: DeployFileSpec,
  values: DeployValues,
): { text: string; changed: boolean } {
  const editor = new YamlEditor(text, spec.path);
  let changed: boolean;
  if (spec.kind === 'kustomize') {
    changed = setKustomizeImage(editor, values.imageNames, { newTag: values.version, digest: values.digest });
  } else {
    const value =
      spec.field === 'image-ref'
        ? `${values.image}@${values.digest}`
        : spec.field === 'commit'
          ? (values.commit ?? '')
          : values[spec.field];
    if (value === '')
      throw new UserError(`${spec.path}: ${spec.key.join('.')}=commit needs the source commit`);
    changed = editor.setIn(spec.key, value);
  }
  return { text: editor.text, changed };
}

/** Update the `images[]` entry whose `name` is one of `names`: its newTag and digest. */
export function setKustomizeImage(
  editor: YamlEditor,
  names: readonly string[],
  fields: { newTag?: string; digest?: string },
): boolean {
  const images = editor.getIn(['images']);
  if (!Array.isArray(images))
    throw new UserError(
      `${editor.file}: has no images list; expected images: [{ name: ${names[0] ?? '...'}, ... }]`,
    );
  const index = images.findIndex(
    (item) => item && typeof item === 'object' && names.includes(String((item as { name?: unknown }).name)),
  );
  if (index === -1) {
    const present = images.map((item) => show((item as { name?: unknown } | null)?.name)).join(', ');
    throw new UserError(
      `${editor.file}: no images[] entry named ${names.map((n) => show(n)).join(' or ')}; found ${present || 'none'}`,
    );
  }
  let changed = false;
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined) changed = editor.setIn(['images', index, key], value) || changed;
  return changed;
}
