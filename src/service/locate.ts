import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TickdbError } from '../errors.js';

/** The folder holding tickdb's package.json, found by walking up from this module (src/ or dist/src/). */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && isTickdbManifest(manifest)) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new TickdbError('NOT_FOUND', `cannot find tickdb's package.json above ${from}`, {
        hint: 'give the launcher with --tickdb-bin PATH/bin/tickdb.js',
      });
    }
    dir = parent;
  }
}

function isTickdbManifest(file: string): boolean {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'tickdb';
  } catch {
    return false;
  }
}

/** Absolute path of this installation's launcher, `bin/tickdb.js`. */
export function tickdbBinPath(): string {
  return join(packageRoot(), 'bin', 'tickdb.js');
}

/** Finds an executable in PATH (POSIX), or undefined. */
export function findInPath(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathVar ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
