import { readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { fsyncDir } from '../fs/fsync-dir.js';

/** What installing a service file did (or, with dryRun, would do). */
export type ServiceFileChange = 'created' | 'replaced' | 'unchanged' | 'removed';

async function requireDirectory(dir: string, what: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw ioError(`stat ${what}`, dir, err);
  }
  throw new TickdbError('NOT_FOUND', `${what} ${dir} does not exist or is not a directory`, {
    path: dir,
    hint: 'create it first, or point --unit-dir at the right folder',
  });
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw ioError('read', path, err);
  }
}

/** Writes `content` to `dir/fileName` atomically (mode 0644); the directory must exist. */
export async function writeServiceFile(
  dir: string,
  fileName: string,
  content: string,
  dryRun: boolean,
): Promise<{ path: string; change: ServiceFileChange }> {
  await requireDirectory(dir, 'service directory');
  const path = join(dir, fileName);
  const existing = await readIfExists(path);
  const change: ServiceFileChange =
    existing === undefined ? 'created' : existing === content ? 'unchanged' : 'replaced';
  if (!dryRun && change !== 'unchanged') await atomicWrite(path, content, 0o644);
  return { path, change };
}

/** Removes `dir/fileName`; a NOT_FOUND error (exit 1) when it is not there, so that nothing else is touched. */
export async function removeServiceFile(
  dir: string,
  fileName: string,
  dryRun: boolean,
): Promise<{ path: string; change: ServiceFileChange }> {
  const path = join(dir, fileName);
  if ((await readIfExists(path)) === undefined) {
    throw new TickdbError('NOT_FOUND', `tickdb is not installed here: ${path} does not exist, nothing to uninstall`, {
      path,
      hint: 'give --unit-dir if it was installed in another folder',
    });
  }
  if (!dryRun) {
    try {
      await unlink(path);
    } catch (err) {
      throw ioError('remove', path, err);
    }
    await fsyncDir(dirname(path));
  }
  return { path, change: 'removed' };
}
