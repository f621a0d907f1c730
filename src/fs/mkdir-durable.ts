import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoOf, ioError } from '../errors.js';
import { fsyncDir } from './fsync-dir.js';
import { pathExists } from './path-exists.js';

/**
 * `mkdir -p` whose result survives a power cut: each folder it creates is fsynced in its parent, so that a file
 * renamed into a new `YYYY/MM` folder, and recorded, is not lost with the folder's entry (DESIGN 3). Returns the
 * folders it created, outermost first.
 */
export async function mkdirDurable(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (let p = dir; !(await pathExists(p)); p = dirname(p)) {
    if (dirname(p) === p) break;
    missing.unshift(p);
  }
  for (const p of missing) {
    try {
      await mkdir(p);
    } catch (err) {
      if (errnoOf(err) !== 'EEXIST') throw ioError('create directory', p, err);
    }
    await fsyncDir(dirname(p));
  }
  return missing;
}
