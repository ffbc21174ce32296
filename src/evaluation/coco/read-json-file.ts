import { readFileSync } from 'node:fs';
import { FileError } from '../../core/errors';
import { locateJsonError } from '../../config/json-error';

/** Parse a JSON file; a missing file or invalid JSON is one FileError naming the file (and line). */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(path, code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = locateJsonError(text);
    throw new FileError(path, at ? `invalid JSON at line ${at.line}, column ${at.column}: ${at.reason}` : `invalid JSON (${(e as Error).message})`);
  }
}
