/**
 * Errors a user can fix: bad input, bad config, a refused promotion. They are reported as one
 * clear annotation without a stack trace. Anything else is a bug and is reported with its stack.
 */
export class UserError extends Error {
  /** Where the problem is, for an annotation that points at the line (config files). */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(message: string, where: { file?: string; line?: number; column?: number } = {}) {
    super(message);
    this.name = 'UserError';
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError || (err instanceof Error && err.name === 'UserError');
}

/** The longest excerpt of a value an error message quotes. */
export const EXCERPT_LENGTH = 80;

/**
 * Quote a value for an error message so empty strings and whitespace stay visible. Long values
 * are cut to an excerpt of EXCERPT_LENGTH characters (with the full length), so a message never
 * carries a whole file or a whole payload.
 */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') {
    if (value.length <= EXCERPT_LENGTH) return JSON.stringify(value);
    return `${JSON.stringify(value.slice(0, EXCERPT_LENGTH - 3))}... (${value.length} characters)`;
  }
  try {
    const text = JSON.stringify(value);
    return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 3)}...` : text;
  } catch {
    return String(value);
  }
}
