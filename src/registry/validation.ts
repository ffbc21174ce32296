import type { ZodError } from 'zod';

/** [dotted path inside the options, one-line description] of a zod failure. */
export function formatZodError(err: ZodError, type: string): [string, string] {
  const issue = err.issues[0];
  const where = issue.path.join('.');
  let what: string;
  switch (issue.code) {
    case 'unrecognized_keys':
      return [where, `${type} has no option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`];
    case 'invalid_type':
      what = issue.received === 'undefined' ? `${type} needs this option (${issue.expected})` : `expected ${issue.expected}, got ${issue.received}`;
      break;
    case 'invalid_enum_value':
      what = `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}, got ${JSON.stringify(issue.received)}`;
      break;
    case 'invalid_literal':
      what = `expected ${JSON.stringify(issue.expected)}`;
      break;
    default:
      what = issue.message;
  }
  return [where, what];
}
