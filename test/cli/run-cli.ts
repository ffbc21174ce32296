import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (tests run from dist/test/cli). */
export const ROOT = path.resolve(__dirname, '../../..');
const BIN = path.join(ROOT, 'bin', 'hrdet.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/hrdet.js ...args` as a user would (from the repository root unless `cwd` is given). */
export function hrdet(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, HRDET_BACKEND: undefined, HRDET_DEBUG: undefined, ...opts.env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: env as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory with the given files (JSON values are serialised). */
export function tempFiles(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hrdet-cli-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return dir;
}

/** Every shipped config file under configs/ (recursively), relative to the repository root. */
export function shippedConfigs(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(path.join(ROOT, dir))) return;
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (/\.(json|ya?ml)$/.test(e.name)) out.push(rel);
    }
  };
  walk('configs');
  return out.sort();
}

/** `hrdet` without blocking, so independent runs can share the machine's cores. */
export function hrdetAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const env = { ...process.env };
  delete env.HRDET_BACKEND;
  delete env.HRDET_DEBUG;
  Object.assign(env, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Run `jobs` with at most `limit` at a time; results in input order. */
export async function pool<T>(jobs: (() => Promise<T>)[], limit = Math.max(1, Math.min(2, os.cpus().length))): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
