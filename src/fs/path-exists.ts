import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { errnoOf, ioError } from '../errors.js';

/** `path`'s `stat`, in nanoseconds; undefined when there is no such file; any other error is an error, not a no. */
export async function statIfExists(path: string): Promise<BigIntStats | undefined> {
  try {
    return await stat(path, { bigint: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw ioError('stat', path, err);
  }
}

/** True when `path` exists; any error other than "no such file" is an error, not a no. */
export async function pathExists(path: string): Promise<boolean> {
  if (path === '') return false;
  return (await statIfExists(path)) !== undefined;
}
