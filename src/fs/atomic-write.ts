import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ioError } from '../errors.js';
import { faultPoint, faultWrite } from '../fault.js';
import { fsyncDir } from './fsync-dir.js';

/** The temporary name used next to `path` while it is written; scanners ignore `*.tmp`. */
export function tmpPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
}

/**
 * The one way tickdb writes a state file: write `*.tmp`, fsync it, rename over the target, fsync the directory.
 * A crash at any point leaves either the old file or the new one, never a torn one.
 */
export async function atomicWrite(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tmpPathFor(path);
  try {
    const handle = await open(tmp, 'w', mode);
    try {
      faultWrite('state', tmp);
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    faultPoint('metadata:before-rename');
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('atomic write', path, err);
  }
  await fsyncDir(dirname(path));
}
