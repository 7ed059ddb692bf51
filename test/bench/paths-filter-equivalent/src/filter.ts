/**
 * Named filters from YAML (js-yaml), each compiled with picomatch (dot: true): the per-run work
 * paths-filter does for its `filters` input. A rule item is a glob, a list of globs (negations
 * `!glob` subtract, as in paths-filter's default `some` quantifier), or a map of change statuses
 * (`added|modified: glob`) to globs.
 */
import { load } from 'js-yaml';
import picomatch from 'picomatch';

export type Status = 'added' | 'copied' | 'deleted' | 'modified' | 'renamed' | 'unmerged';
export interface ChangedFile {
  filename: string;
  status: Status;
}
interface Rule {
  statuses?: string[];
  test: (path: string) => boolean;
}

const OPTIONS = { dot: true };

function invalid(message: string): never {
  throw new Error(`Invalid filter YAML format: ${message}.`);
}

/** One matcher over a list of globs: some positive one matches and no negated one does. */
function globList(globs: string[]): ((path: string) => boolean) | undefined {
  const negated = (g: string) => g.length > 1 && g.startsWith('!') && !g.startsWith('!(');
  const plus = globs.filter((g) => !negated(g));
  const minus = globs.filter(negated).map((g) => g.slice(1));
  if (plus.length === 0) return undefined;
  const yes = picomatch(plus, OPTIONS);
  if (minus.length === 0) return yes;
  const no = picomatch(minus, OPTIONS);
  return (path) => yes(path) && !no(path);
}

function rules(item: unknown): Rule[] {
  if (typeof item === 'string') return [{ test: picomatch(item, OPTIONS) }];
  if (Array.isArray(item)) {
    // Nested lists come from YAML anchors (`- *shared`): flatten, keep status maps as they are.
    const globs: string[] = [];
    const others: Rule[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (typeof x === 'string') globs.push(x);
      else others.push(...rules(x));
    };
    walk(item);
    const test = globList(globs);
    if (!test && others.length === 0) invalid('a filter needs at least one positive pattern');
    return test ? [{ test }, ...others] : others;
  }
  if (item !== null && typeof item === 'object') {
    return Object.entries(item as Record<string, unknown>).map(([key, value]) => {
      const statuses = key
        .split('|')
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean);
      if (typeof value === 'string') return { statuses, test: picomatch(value, OPTIONS) };
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
        invalid(`"${key}" must map to a glob or a list of globs`);
      const test = globList(value as string[]);
      if (!test) invalid(`"${key}" needs at least one positive pattern`);
      return { statuses, test };
    });
  }
  invalid(`unexpected element type ${typeof item}`);
}

export class Filters {
  private readonly named = new Map<string, Rule[]>();

  constructor(yamlText: string) {
    const doc = load(yamlText);
    if (doc === null || typeof doc !== 'object') invalid('the root is not a mapping');
    for (const [name, item] of Object.entries(doc as Record<string, unknown>))
      this.named.set(name, rules(item));
  }

  /** For every filter, the changed files it matches (in diff order). */
  match(files: ChangedFile[]): Map<string, ChangedFile[]> {
    const out = new Map<string, ChangedFile[]>();
    for (const [name, list] of this.named) {
      out.set(
        name,
        files.filter((f) =>
          list.some((r) => (!r.statuses || r.statuses.includes(f.status)) && r.test(f.filename)),
        ),
      );
    }
    return out;
  }
}
