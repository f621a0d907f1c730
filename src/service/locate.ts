import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-info.js';

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
