import { CommanderError } from 'commander';
import { UserError } from '../core/errors';

/** Exit codes: 0 ok, 1 a bug or an unexpected failure, 2 a usage or input error the user can fix. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const FILE_ERRNO: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/**
 * Print an error the way the CLI promises: one line `hrdet: error: <message>` for anything
 * the user can fix (exit 2), the message plus a hint for anything else (exit 1); stack
 * traces only with --debug. Returns the exit code.
 */
export function reportError(e: unknown, debug: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): number {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0) return EXIT_OK; // --help, --version
    write(`hrdet: error: ${oneLine(e.message.replace(/^error:\s*/, ''))}\n`);
    return EXIT_USAGE;
  }
  const fileProblem = fileErrno(e);
  if (e instanceof UserError || fileProblem) {
    write(`hrdet: error: ${oneLine(fileProblem ?? (e as Error).message)}\n`);
    if (debug) write(stackOf(e));
    return EXIT_USAGE;
  }
  const message = e instanceof Error ? e.message : String(e);
  write(`hrdet: error: ${oneLine(message)}${debug ? '' : ' (run with --debug for the stack trace)'}\n`);
  if (debug) write(stackOf(e));
  return EXIT_FAILURE;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Missing or unreadable files reported by Node itself. */
function fileErrno(e: unknown): string | null {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== 'string' || !err.path || !(err.code in FILE_ERRNO)) return null;
  return `${err.path}: ${FILE_ERRNO[err.code]}`;
}

function stackOf(e: unknown): string {
  let text = '';
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 5; depth++) {
    text += `${depth ? 'caused by: ' : ''}${cur.stack ?? cur.message}\n`;
    cur = (cur as { cause?: unknown }).cause;
  }
  return text || `${String(e)}\n`;
}
