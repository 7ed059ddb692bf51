/**
 * Health conditions of `verify` checks: `<path> <op> <value>`, e.g. `$.status == "UP"` or
 * `$.latencyMs < 500`. Parsed by a small grammar and evaluated against the JSON answer, never
 * evaluated as code.
 *
 *   path   := ["$."] segment ("." segment | "[" digits "]")*   (or "$" alone: the whole body)
 *   op     := == | != | < | <= | > | >=
 *   value  := "string" | 'string' | number | true | false | null
 *
 * `==` and `!=` compare type and value (the string "1" is not the number 1); the ordering
 * operators need a number on both sides.
 */

export const CONDITION_OPS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
export type Literal = string | number | boolean | null;
export type JsonPath = (string | number)[];

export interface Condition {
  /** The condition as written. */
  text: string;
  /** The path as written (e.g. `$.components.dynamodb.status`). */
  pathText: string;
  path: JsonPath;
  op: ConditionOp;
  value: Literal;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*|^\d+/;

/** Parse a JSON path like `$.a.b[0].c` or `a.b`; a problem text when it is not one. */
export function parseJsonPath(text: string): JsonPath | { problem: string } {
  let rest = text.trim();
  if (rest === '') return { problem: 'is empty; expected a path like $.status' };
  if (rest === '$') return [];
  if (rest.startsWith('$.')) rest = rest.slice(2);
  else if (rest.startsWith('$[')) rest = rest.slice(1);
  const path: JsonPath = [];
  let first = true;
  while (rest !== '') {
    const index = /^\[(\d+)\]/.exec(rest);
    if (index) {
      path.push(Number(index[1]));
      rest = rest.slice(index[0].length);
    } else {
      if (!first) {
        if (!rest.startsWith('.'))
          return { problem: `has ${JSON.stringify(rest)} where "." or "[n]" was expected` };
        rest = rest.slice(1);
      }
      const seg = SEGMENT.exec(rest);
      if (!seg)
        return {
          problem: `has ${JSON.stringify(rest)} where a key was expected (letters, digits, "_" or "-")`,
        };
      path.push(seg[0]);
      rest = rest.slice(seg[0].length);
    }
    first = false;
  }
  return path;
}

/** The value at a path, or `{ missing: true }`. */
export function valueAt(root: unknown, path: JsonPath): { value: unknown } | { missing: true } {
  let cur: unknown = root;
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === 'number' && key < cur.length) cur = cur[key];
    else if (
      cur !== null &&
      typeof cur === 'object' &&
      !Array.isArray(cur) &&
      Object.prototype.hasOwnProperty.call(cur, String(key))
    )
      cur = (cur as Record<string, unknown>)[String(key)];
    else return { missing: true };
  }
  return { value: cur };
}

function parseLiteral(text: string): { value: Literal } | { problem: string } {
  const t = text.trim();
  if (t === '') return { problem: 'has no value after the operator' };
  if (t === 'true') return { value: true };
  if (t === 'false') return { value: false };
  if (t === 'null') return { value: null };
  if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(t)) return { value: Number(t) };
  if (t.startsWith('"')) {
    try {
      const value: unknown = JSON.parse(t);
      if (typeof value === 'string') return { value };
    } catch {
      // reported below
    }
    return { problem: `has the malformed string ${t}` };
  }
  if (t.startsWith("'")) {
    const inner = t.slice(1, -1);
    if (t.length >= 2 && t.endsWith("'") && !inner.includes("'")) return { value: inner };
    return { problem: `has the malformed string ${t}` };
  }
  return {
    problem: `has the value ${JSON.stringify(t)}; expected a quoted string, a number, true, false or null`,
  };
}

/** Parse one condition; a problem text (for a config error) when it is malformed. */
export function parseCondition(text: string): Condition | { problem: string } {
  // The operator is the first one outside the path: paths never contain =, ! , < or >.
  const m = /^([^=!<>]*?)\s*(==|!=|<=|>=|<|>)(.*)$/s.exec(text.trim());
  if (!m) return { problem: 'has no operator (==, !=, <, <=, > or >=)' };
  const pathText = m[1]!.trim();
  const op = m[2] as ConditionOp;
  const path = parseJsonPath(pathText);
  if ('problem' in path) return { problem: `path ${path.problem}` };
  const literal = parseLiteral(m[3]!);
  if ('problem' in literal) return literal;
  if (op !== '==' && op !== '!=' && typeof literal.value !== 'number')
    return { problem: `uses ${op} with ${JSON.stringify(literal.value)}; ordering needs a number` };
  return { text: text.trim(), pathText, path, op, value: literal.value };
}

export interface ConditionResult {
  ok: boolean;
  /** What was found, for reasons: `$.status is "DOWN"`, `$.latencyMs is missing`. */
  fact: string;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Evaluate a parsed condition against a JSON value. */
export function evaluateCondition(condition: Condition, body: unknown): ConditionResult {
  const found = valueAt(body, condition.path);
  const name = condition.pathText || '$';
  if ('missing' in found) return { ok: false, fact: `${name} is missing` };
  const actual = found.value;
  const fact = `${name} is ${describe(actual)}`;
  const want = condition.value;
  switch (condition.op) {
    case '==':
      return { ok: actual === want, fact };
    case '!=':
      return { ok: actual !== want, fact };
    default: {
      if (typeof actual !== 'number' || typeof want !== 'number')
        return { ok: false, fact: `${fact}, not a number` };
      const ok =
        condition.op === '<'
          ? actual < want
          : condition.op === '<='
            ? actual <= want
            : condition.op === '>'
              ? actual > want
              : actual >= want;
      return { ok, fact };
    }
  }
}
