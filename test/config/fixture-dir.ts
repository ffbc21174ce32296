import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made: string[] = [];

/**
 * A fresh temporary directory holding `files` (relative path -> content), removed by
 * `removeFixtureDirs` (call it from `after`, and make the directory inside a hook or test:
 * every file's `after` removes all directories made so far).
 */
export function fixtureDir(files: Record<string, string | object>): string {
  const dir = ownFixtureDir(files);
  made.push(dir);
  return dir;
}

/** Like fixtureDir, but the caller removes it (for fixtures made while mocha collects tests). */
export function ownFixtureDir(files: Record<string, string | object>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'hrdet-config-')));
  writeFixtures(dir, files);
  return dir;
}

export function writeFixtures(dir: string, files: Record<string, string | object>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
}

export function removeFixtureDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The message of the error `fn` throws (fails the test when it throws nothing). */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, none was thrown');
}
