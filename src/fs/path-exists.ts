import { stat } from 'node:fs/promises';
import { errnoOf, ioError } from '../errors.js';

/** True when `path` exists; any error other than "no such file" is an error, not a no. */
export async function pathExists(path: string): Promise<boolean> {
  if (path === '') return false;
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return false;
    throw ioError('stat', path, err);
  }
}
