import { open } from 'node:fs/promises';

/**
 * fsync a directory so that a rename or unlink in it survives a power loss. Windows cannot open a directory for
 * fsync; there the rename is already durable enough (NTFS journals metadata), so the call is skipped.
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems (certain network mounts) refuse fsync on a directory; that is not a data error.
    const code = (err as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}
