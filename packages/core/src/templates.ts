import { UserError } from './errors.js';

/** Placeholders a template may use, by template kind. */
export const PLACEHOLDERS = ['service', 'version', 'major', 'minor', 'patch', 'sha', 'environment'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Partial<Record<Placeholder, string>>;

const TOKEN = /\{([^{}]*)\}/g;

/** The placeholder names a template uses, in order of appearance. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(TOKEN)].map((m) => m[1] ?? '');
}

/** Fill a template; every placeholder it uses must have a value. */
export function render(template: string, values: TemplateValues): string {
  return template.replace(TOKEN, (whole, name: string) => {
    const value = values[name as Placeholder];
    if (value === undefined) {
      throw new UserError(`template ${JSON.stringify(template)} needs {${name}}, which is not known here`);
    }
    return value;
  });
}

/** A tag without placeholders (like `dev`, `prd`, `latest`) moves from digest to digest; others are immutable. */
export function isMovingTagTemplate(template: string): boolean {
  return placeholdersOf(template).length === 0;
}

/** Turn a template like `{service}/{version}` into a matcher that extracts the values. */
export function templateMatcher(
  template: string,
  fixed: TemplateValues = {},
): (text: string) => TemplateValues | undefined {
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const m of template.matchAll(TOKEN)) {
    source += escapeRegExp(template.slice(last, m.index));
    const name = m[1] ?? '';
    const value = fixed[name as Placeholder];
    if (value !== undefined) {
      source += escapeRegExp(value);
    } else {
      names.push(name);
      source += name === 'version' ? '(.+?)' : '([^/]+?)';
    }
    last = (m.index ?? 0) + m[0].length;
  }
  source += escapeRegExp(template.slice(last)) + '$';
  const re = new RegExp(source);
  return (text) => {
    const m = re.exec(text);
    if (!m) return undefined;
    const out: TemplateValues = { ...fixed };
    names.forEach((n, i) => (out[n as Placeholder] = m[i + 1]));
    return out;
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
