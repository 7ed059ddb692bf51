/**
 * Many services' promotions into one manifest, one after another, each step's text exactly what
 * `promoteInManifest` gives on the previous step's text (same bytes), but with the manifest parsed
 * once: at 2,000 services the per-step parse made a batch quadratic in parsing.
 *
 * How: the manifest is parsed once with source ranges. A promotion of a service whose entry is a
 * block mapping of plain or quoted string fields becomes splices of those fields' value ranges; a
 * new service becomes lines inserted where `promoteInManifest` appends them (after the last entry
 * of a non-empty block `services` mapping). Anything else (no `environment:`, an empty or flow
 * `services`, anchors, aliases or merge keys, a missing field, a block scalar) takes the single
 * edit on the current text, after which the fast state is rebuilt from that text. The caller
 * checks the final text once (`checkBatchResult`) instead of re-parsing after every step.
 */
import { isDeepStrictEqual } from 'node:util';
import { isMap, isScalar, Scalar, visit, type Document, type Node, type YAMLMap } from 'yaml';
import { parseYamlDocument, renderScalar, YamlEditor } from './deploy-files.js';
import { UserError, show } from './errors.js';
import {
  isSameDeployment,
  MANIFEST_FIELDS,
  parseManifest,
  promoteInManifest,
  type ManifestEdit,
  type ManifestEntry,
  type ManifestPromotion,
} from './manifest.js';

type Range = [number, number, number];

interface FieldSpot {
  /** Range of the value in the original text. */
  start: number;
  end: number;
  type: Scalar.Type | undefined;
  value: string;
}

interface EntrySpot {
  fields: Map<string, FieldSpot>;
}

interface Splice {
  /** In original-text coordinates. */
  start: number;
  end: number;
  text: string;
  /** Text length change. */
  delta: number;
}

/** The fast state of one manifest text, or undefined when its shape needs the single edit. */
class FastManifest {
  private text: string;
  private readonly splices: Splice[] = [];

  private constructor(
    readonly original: string,
    private readonly entries: Map<string, EntrySpot>,
    private readonly manifestEntries: Map<string, ManifestEntry>,
    /** Where new entries go (original coordinates), their key column and the indentation step. */
    private readonly insertAt: number,
    private readonly column: number,
    private readonly step: number,
    private readonly eol: string,
  ) {
    this.text = original;
  }

  static from(text: string, file: string, environment: string): FastManifest | undefined {
    let doc: Document.Parsed;
    try {
      doc = parseYamlDocument(text, file);
    } catch {
      return undefined;
    }
    let plain = true;
    visit(doc, {
      Alias: () => {
        plain = false;
        return visit.BREAK;
      },
      Node: (_key, node) => {
        if ((node as Node).anchor) {
          plain = false;
          return visit.BREAK;
        }
        return undefined;
      },
      Pair: (_key, pair) => {
        if (isScalar(pair.key) && pair.key.value === '<<') {
          plain = false;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (!plain) return undefined;
    const root = doc.contents;
    if (!isMap(root) || root.flow) return undefined;
    const envPair = root.items.find((p) => isScalar(p.key) && p.key.value === 'environment');
    if (!envPair || !isScalar(envPair.value) || envPair.value.value !== environment) return undefined;
    const servicesPair = root.items.find((p) => isScalar(p.key) && p.key.value === 'services');
    const services = servicesPair?.value;
    if (!isMap(services) || services.flow || services.items.length === 0) return undefined;
    const entries = new Map<string, EntrySpot>();
    for (const pair of (services as YAMLMap<unknown, unknown>).items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') return undefined;
      const value = pair.value;
      if (!isMap(value) || value.flow) {
        entries.set(pair.key.value, { fields: new Map() });
        continue;
      }
      const fields = new Map<string, FieldSpot>();
      for (const field of value.items) {
        if (!isScalar(field.key) || typeof field.key.value !== 'string') continue;
        const v = field.value;
        if (!isScalar(v) || typeof v.value !== 'string' || !v.range) continue;
        if (v.type !== Scalar.PLAIN && v.type !== Scalar.QUOTE_DOUBLE && v.type !== Scalar.QUOTE_SINGLE)
          continue;
        fields.set(field.key.value, { start: v.range[0], end: v.range[1], type: v.type, value: v.value });
      }
      entries.set(pair.key.value, { fields });
    }
    const range = services.range as Range;
    const nl = text.indexOf('\n', Math.max(0, range[1] - 1));
    if (nl === -1) return undefined;
    const firstKey = services.items[0]!.key as Node;
    const keyStart = firstKey.range![0];
    const column = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
    const editor = new YamlEditor(text, file);
    let manifest;
    try {
      manifest = parseManifest(text, file);
    } catch {
      return undefined;
    }
    return new FastManifest(
      text,
      entries,
      manifest.services,
      nl + 1,
      column,
      editor.indentUnit,
      text.includes('\r\n') ? '\r\n' : '\n',
    );
  }

  get current(): string {
    return this.text;
  }

  /** The single edit's result, or undefined when this promotion needs the single edit. */
  promote(service: string, update: ManifestPromotion): ManifestEdit | undefined {
    const previous = this.manifestEntries.get(service);
    if (isSameDeployment(previous, update)) return { text: this.text, changed: false, previous };
    const entry: [string, string][] = [];
    for (const field of MANIFEST_FIELDS) {
      const value = update[field];
      if (value !== undefined) entry.push([field, value]);
    }
    const spot = this.entries.get(service);
    const splices: Splice[] = [];
    if (spot) {
      for (const [field, value] of entry) {
        const at = spot.fields.get(field);
        if (!at) return undefined;
        if (at.value === value) continue;
        const text = renderScalar(value, at.type);
        splices.push({ start: at.start, end: at.end, text, delta: text.length - (at.end - at.start) });
      }
      if (splices.length === 0) return { text: this.text, changed: false, previous };
    } else {
      const pad = ' '.repeat(this.column);
      const inner = ' '.repeat(this.column + this.step);
      const text =
        `${pad}${renderScalar(service)}:${this.eol}` +
        entry.map(([k, v]) => `${inner}${renderScalar(k)}: ${renderScalar(v)}${this.eol}`).join('');
      splices.push({ start: this.insertAt, end: this.insertAt, text, delta: text.length });
    }
    this.apply(splices);
    return { text: this.text, changed: true, previous };
  }

  /** One new text per step: its splices (disjoint, in one entry or one insertion) at once. */
  private apply(splices: Splice[]): void {
    const shifted = splices.map((splice) => {
      // Earlier splices before this one (insertions at the same point come before it).
      let shift = 0;
      for (const s of this.splices)
        if (s.start < splice.start || (s.start === splice.start && s.start === s.end)) shift += s.delta;
      return { start: splice.start + shift, end: splice.end + shift, text: splice.text };
    });
    shifted.sort((x, y) => x.start - y.start);
    const parts: string[] = [];
    let at = 0;
    for (const s of shifted) {
      parts.push(this.text.slice(at, s.start), s.text);
      at = s.end;
    }
    parts.push(this.text.slice(at));
    this.text = parts.join('');
    this.splices.push(...splices);
  }
}

export interface BatchStep {
  service: string;
  edit: ManifestEdit;
}

/**
 * Promote each `[service, promotion]` in turn (each service at most once); step i's text is what
 * `promoteInManifest` gives on step i-1's text. `onStep` may throw to stop (e.g. a conflict).
 */
export function promoteManyInManifest(
  text: string,
  file: string,
  environment: string,
  items: readonly { service: string; promotion: ManifestPromotion }[],
  onStep?: (step: BatchStep, index: number) => void,
): BatchStep[] {
  const steps: BatchStep[] = [];
  let fast = FastManifest.from(text, file, environment);
  // A shape the fast state cannot take (anchors, say) stays so: stop re-checking after a few tries.
  let misses = fast ? 0 : 1;
  let current = text;
  for (const [index, item] of items.entries()) {
    let edit = fast?.promote(item.service, item.promotion);
    if (!edit) {
      edit = promoteInManifest(current, file, environment, item.service, item.promotion);
      if (edit.changed && misses < 3) {
        fast = FastManifest.from(edit.text, file, environment);
        misses = fast ? 0 : misses + 1;
      }
    }
    current = edit.text;
    const step = { service: item.service, edit };
    onStep?.(step, index);
    steps.push(step);
  }
  return steps;
}

/**
 * The once-per-batch check of the final text (what each single edit checks after itself): it
 * parses, every promoted service deploys its promotion, and everything else in the document reads
 * as it did before the batch (the promoted entries' fields set, `environment` filled in if absent).
 */
export function checkBatchResult(
  before: string,
  after: string,
  file: string,
  environment: string,
  items: readonly { service: string; promotion: ManifestPromotion }[],
): void {
  const end = parseManifest(after, file);
  for (const { service, promotion } of items) {
    const entry = end.services.get(service);
    if (!isSameDeployment(entry, promotion))
      throw new UserError(
        `${file}: services.${service} would be ${show(entry)} after the edit, not the promoted ${promotion.version} (${promotion.digest}); nothing was pushed`,
      );
  }
  const expected = (new YamlEditor(before, file).toJS() ?? {}) as Record<string, unknown>;
  if (expected.environment === undefined || expected.environment === null) expected.environment = environment;
  if (expected.services === undefined || expected.services === null) expected.services = {};
  const services = expected.services as Record<string, Record<string, unknown>>;
  for (const { service, promotion } of items) {
    const entry = (services[service] ??= {});
    for (const field of MANIFEST_FIELDS) if (promotion[field] !== undefined) entry[field] = promotion[field];
  }
  if (!isDeepStrictEqual(new YamlEditor(after, file).toJS(), expected))
    throw new UserError(
      `${file}: the batch edit would change more than the promoted entries; nothing was pushed`,
    );
}
