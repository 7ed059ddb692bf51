/**
 * The fastest path of parseConfig: a scanner for the small part of YAML that real configs use,
 * tried before js-yaml (config-fast.ts). It gives the same plain JS value as the `yaml` library's
 * `parseDocument(text).toJS()`, or undefined, and then js-yaml (and after it the `yaml` library)
 * reads the text as before.
 *
 * What it reads, with LF or CRLF line ends (and no tab, control character or Unicode space):
 *  - a block mapping at column 0, nested block mappings by indentation (spaces), and block
 *    sequences (`- item`, also at the indentation of their key) of one-line items;
 *  - one-line flow mappings and sequences, nested, with no empty entry and no trailing comma;
 *  - plain scalars (resolved by the `yaml` library's core schema, below), single-quoted ones, and
 *    double-quoted ones with the escapes \\ \" \/ \n \t;
 *  - comments (a `#` after a space or at the start of a line) and blank lines.
 * It gives up on everything else, among others: a plain scalar starting with a non-ASCII
 * character, anchors, aliases, tags, block scalars, multi-line scalars and flow collections,
 * `?` keys, collections as keys, empty documents, a root that is not a mapping, document markers, directives, repeated keys (the other paths report them), keys that
 * name an Object.prototype property or resolve to null, keys over 1,000 characters, a `#` or a
 * flow indicator inside a block plain scalar, and a `:` inside a plain scalar unless followed by
 * a letter, a digit or `/` in a value.
 */

// The `yaml` library's core schema (yaml/dist/schema/core, common/null), in its order; the fast
// path's js-yaml SCHEMA uses the same rules.
export const NULL = /^(?:~|[Nn]ull|NULL)?$/;
export const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** The number a plain scalar is in the core schema, or undefined if it is none. */
export function number(data: string): number | undefined {
  const c = data.charCodeAt(0);
  // Every number starts with a digit, a sign or a dot: most strings stop here.
  if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e)) return undefined;
  if (INT_OCT.test(data)) return parseInt(data.substring(2), 8);
  if (INT.test(data)) return parseInt(data, 10);
  if (INT_HEX.test(data)) return parseInt(data.substring(2), 16);
  if (FLOAT_NAN.test(data))
    return data.slice(-3).toLowerCase() === 'nan'
      ? NaN
      : data[0] === '-'
        ? Number.NEGATIVE_INFINITY
        : Number.POSITIVE_INFINITY;
  if (FLOAT_EXP.test(data) || FLOAT.test(data)) return parseFloat(data);
  return undefined;
}

/** A (non-empty) plain scalar's value in the core schema. */
function resolvePlain(data: string): unknown {
  const c = data.charCodeAt(0);
  if ((c === 0x7e || c === 0x6e || c === 0x4e) && NULL.test(data)) return null;
  if ((c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46) && BOOL.test(data))
    return c === 0x74 || c === 0x54;
  const n = number(data);
  return n === undefined ? data : n;
}

/**
 * Characters given up on: control characters but LF and CR, a CR not before LF (so any CR ends a
 * line), tabs, C1 controls (NEL too), Unicode spaces and separators (JS would trim them, YAML
 * does not), surrogates, the BOM and non-characters. Other non-ASCII text may be in scalars and
 * comments (as it is in the benchmark's paths).
 */
const UNSUPPORTED =
  /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ud800-\udfff\ufeff\ufffe\uffff]|\r(?!\n)/;

/** Thrown (never an Error: no stack to capture) to give up; caught by scanConfig. */
const GIVE_UP = { giveUp: true };

/** Runs of what plain(), doubleQuoted() and singleQuoted() take as content (UNSUPPORTED is gone). */
const PLAIN_RUN = /[^ \n\r:#,[\]{}]*/y;
const DOUBLE_RUN = /[^"\\\n\r]*/y;
const SINGLE_RUN = /[^'\n\r]*/y;

const SPACE = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const HASH = 0x23;
const COLON = 0x3a;
const DASH = 0x2d;
const COMMA = 0x2c;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MAX_KEY = 1000;

const isAlnum = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
/** May start a plain scalar on its own: letters, digits and _ . / ~ + $ ( ) ^ ; */
const isPlainStart = (c: number): boolean =>
  isAlnum(c) ||
  c === 0x5f ||
  c === 0x2e ||
  c === 0x2f ||
  c === 0x7e ||
  c === 0x2b ||
  c === 0x24 ||
  c === 0x28 ||
  c === 0x29 ||
  c === 0x5e ||
  c === 0x3b;
const isFlowIndicator = (c: number): boolean =>
  c === COMMA || c === LBRACKET || c === RBRACKET || c === LBRACE || c === RBRACE;
/** End of line or of text (NaN past the end: charCodeAt). */
const isEnd = (c: number): boolean => c === LF || c === CR || c !== c;

class Scanner {
  /** Position in the text. */
  private i = 0;
  /** Indentation of the line `i` is on (at its first content character), -1 at the end. */
  private indent = -1;

  constructor(private readonly t: string) {}

  document(): Record<string, unknown> {
    this.nextLine();
    if (this.indent !== 0 || this.atSeqItem()) throw GIVE_UP;
    const value = this.blockMap(0);
    if ((this.indent as number) !== -1) throw GIVE_UP; // (blockMap moved it)
    return value;
  }

  /** From a line start, skips blank and comment lines to the next content character; sets indent. */
  private nextLine(): void {
    const t = this.t;
    const n = t.length;
    let i = this.i;
    while (i < n) {
      const start = i;
      while (t.charCodeAt(i) === SPACE) i++;
      const c = t.charCodeAt(i);
      if (c === LF) i++;
      else if (c === CR) i += 2;
      else if (c === HASH) {
        const nl = t.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else if (i < n) {
        // Document markers and the end marker.
        if (
          i === start &&
          (c === DASH || c === 0x2e) &&
          t.charCodeAt(i + 1) === c &&
          t.charCodeAt(i + 2) === c
        )
          throw GIVE_UP;
        this.i = i;
        this.indent = i - start;
        return;
      }
    }
    this.i = n;
    this.indent = -1;
  }

  /** After a value: spaces, then the end of the line or a comment; moves to the next line. */
  private endLine(): void {
    const t = this.t;
    let i = this.i;
    while (t.charCodeAt(i) === SPACE) i++;
    const c = t.charCodeAt(i);
    if (c === HASH && i > this.i) {
      const nl = t.indexOf('\n', i);
      i = nl < 0 ? t.length : nl + 1;
    } else if (c === LF) i++;
    else if (c === CR) i += 2;
    else if (i < t.length) throw GIVE_UP;
    this.i = i;
    this.nextLine();
  }

  private skipSpaces(): void {
    while (this.t.charCodeAt(this.i) === SPACE) this.i++;
  }

  private atSeqItem(): boolean {
    return (
      this.t.charCodeAt(this.i) === DASH &&
      (this.t.charCodeAt(this.i + 1) === SPACE || isEnd(this.t.charCodeAt(this.i + 1)))
    );
  }

  /** Entries at indentation n; returns at the first line indented less (or the end). */
  private blockMap(n: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    for (;;) {
      if (this.atSeqItem()) throw GIVE_UP;
      const key = this.key(false);
      // Repeated keys, and keys such as __proto__ or constructor: left to the other paths.
      if (map[key] !== undefined) throw GIVE_UP;
      // key() leaves i after the ':', which is followed by a space or the end of the line.
      const after = this.i;
      this.skipSpaces();
      const c = this.t.charCodeAt(this.i);
      let value: unknown;
      if (isEnd(c) || c === HASH) {
        this.i = after; // endLine checks that a comment follows a space
        this.endLine();
        const m = this.indent;
        if (m > n) value = this.atSeqItem() ? this.blockSeq(m) : this.blockMap(m);
        else if (m === n && this.atSeqItem()) value = this.blockSeq(m);
        else value = null;
      } else {
        value = this.inline(false);
        this.endLine();
      }
      map[key] = value;
      if (this.indent < n) return map;
      if (this.indent > n) throw GIVE_UP;
    }
  }

  /** Items `- value` at indentation m; returns at the first line that is not one. */
  private blockSeq(m: number): unknown[] {
    const seq: unknown[] = [];
    for (;;) {
      this.i++;
      this.skipSpaces();
      const c = this.t.charCodeAt(this.i);
      if (isEnd(c) || c === HASH) throw GIVE_UP;
      seq.push(this.inline(false));
      this.endLine();
      if (this.indent < m || (this.indent === m && !this.atSeqItem())) return seq;
      if (this.indent > m) throw GIVE_UP;
    }
  }

  /**
   * A mapping key and its ':' (followed by a space, or in block context the end of the line).
   * Returns the key as the `yaml` library's toJS writes it.
   */
  private key(flow: boolean): string {
    const t = this.t;
    const start = this.i;
    const c = t.charCodeAt(start);
    let key: string;
    if (c === DQUOTE) key = this.doubleQuoted();
    else if (c === SQUOTE) key = this.singleQuoted();
    else {
      const raw = this.plain(flow, true);
      const value = resolvePlain(raw);
      if (value === null) throw GIVE_UP;
      key = typeof value === 'string' ? value : String(value);
    }
    if (this.i - start > MAX_KEY || t.charCodeAt(this.i) !== COLON) throw GIVE_UP;
    const next = t.charCodeAt(this.i + 1);
    if (!(next === SPACE || (!flow && isEnd(next)))) throw GIVE_UP;
    this.i++;
    return key;
  }

  /** A scalar or a flow collection on the current line. */
  private inline(flow: boolean): unknown {
    const c = this.t.charCodeAt(this.i);
    if (c === DQUOTE) return this.doubleQuoted();
    if (c === SQUOTE) return this.singleQuoted();
    if (c === LBRACE) return this.flowMap();
    if (c === LBRACKET) return this.flowSeq();
    return resolvePlain(this.plain(flow, false));
  }

  /**
   * A plain scalar's text. In block context it runs to the end of the line or a comment; in flow
   * context also to a flow indicator; both stop before `: ` (a key's end: given up on for values).
   */
  private plain(flow: boolean, isKey: boolean): string {
    const t = this.t;
    const start = this.i;
    const first = t.charCodeAt(start);
    if (!isPlainStart(first)) {
      const second = t.charCodeAt(start + 1);
      if (!(first === DASH && (isAlnum(second) || second === 0x2e || second === 0x2f || second === 0x5f)))
        throw GIVE_UP;
    }
    // Characters the loop below only steps over, skipped at once (regexes run native code, while
    // this module runs once, mostly unoptimised).
    PLAIN_RUN.lastIndex = start + 1;
    PLAIN_RUN.test(t);
    let i = PLAIN_RUN.lastIndex;
    let end = i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === SPACE) {
        if (t.charCodeAt(i + 1) === HASH) break;
        i++;
        continue;
      }
      if (isEnd(c)) break;
      if (c === COLON) {
        const next = t.charCodeAt(i + 1);
        if (next === SPACE || isEnd(next)) {
          if (!isKey) throw GIVE_UP;
          break;
        }
        if (isKey || !(isAlnum(next) || next === 0x2f)) throw GIVE_UP;
      } else if (c === HASH) throw GIVE_UP;
      else if (isFlowIndicator(c)) {
        if (flow) break;
        throw GIVE_UP;
      }
      i++;
      end = i;
    }
    this.i = end;
    return t.substring(start, end);
  }

  private doubleQuoted(): string {
    const t = this.t;
    let i = this.i + 1;
    let from = i;
    let out = '';
    for (;;) {
      DOUBLE_RUN.lastIndex = i;
      DOUBLE_RUN.test(t);
      i = DOUBLE_RUN.lastIndex;
      const c = t.charCodeAt(i);
      if (c === DQUOTE) break;
      if (isEnd(c)) throw GIVE_UP;
      if (c === BACKSLASH) {
        const e = t.charCodeAt(i + 1);
        const escaped =
          e === BACKSLASH || e === DQUOTE || e === 0x2f
            ? String.fromCharCode(e)
            : e === 0x6e
              ? '\n'
              : e === 0x74
                ? '\t'
                : undefined;
        if (escaped === undefined) throw GIVE_UP;
        out += t.substring(from, i) + escaped;
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    return out + t.substring(from, i);
  }

  private singleQuoted(): string {
    const t = this.t;
    let i = this.i + 1;
    let from = i;
    let out = '';
    for (;;) {
      SINGLE_RUN.lastIndex = i;
      SINGLE_RUN.test(t);
      i = SINGLE_RUN.lastIndex;
      const c = t.charCodeAt(i);
      if (isEnd(c)) throw GIVE_UP;
      if (c === SQUOTE) {
        if (t.charCodeAt(i + 1) !== SQUOTE) break;
        out += t.substring(from, i + 1);
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    this.i = i + 1;
    return out + t.substring(from, i);
  }

  private flowMap(): Record<string, unknown> {
    const t = this.t;
    const map: Record<string, unknown> = {};
    this.i++;
    this.skipSpaces();
    if (t.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return map;
    }
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === LBRACE || c === LBRACKET) throw GIVE_UP;
      const key = this.key(true);
      if (map[key] !== undefined) throw GIVE_UP;
      this.skipSpaces();
      const v = t.charCodeAt(this.i);
      if (v === COMMA || v === RBRACE || v === RBRACKET || v === HASH || isEnd(v)) throw GIVE_UP;
      map[key] = this.inline(true);
      if (this.flowNext(RBRACE)) return map;
    }
  }

  private flowSeq(): unknown[] {
    const t = this.t;
    const seq: unknown[] = [];
    this.i++;
    this.skipSpaces();
    if (t.charCodeAt(this.i) === RBRACKET) {
      this.i++;
      return seq;
    }
    for (;;) {
      const v = t.charCodeAt(this.i);
      if (v === COMMA || v === RBRACE || v === RBRACKET || v === HASH || isEnd(v)) throw GIVE_UP;
      seq.push(this.inline(true));
      if (this.flowNext(RBRACKET)) return seq;
    }
  }

  /** After a flow entry: true at the closing bracket (consumed), false after a comma. */
  private flowNext(close: number): boolean {
    const t = this.t;
    this.skipSpaces();
    const c = t.charCodeAt(this.i);
    if (c === close) {
      this.i++;
      return true;
    }
    if (c !== COMMA) throw GIVE_UP;
    this.i++;
    this.skipSpaces();
    // A trailing comma, or an empty entry.
    const d = t.charCodeAt(this.i);
    if (d === close || d === COMMA || isEnd(d)) throw GIVE_UP;
    return false;
  }
}

/** The plain JS value of `text`, as the `yaml` library reads it; undefined outside the subset. */
export function scanConfig(text: string): { value: unknown } | undefined {
  if (UNSUPPORTED.test(text)) return undefined;
  try {
    return { value: new Scanner(text).document() };
  } catch (err) {
    if (err === GIVE_UP) return undefined;
    throw err;
  }
}
