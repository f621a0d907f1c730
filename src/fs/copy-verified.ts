import { chmod, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TickdbError, ioError } from '../errors.js';
import { faultPoint, faultWrite } from '../fault.js';
import { tmpPathFor } from './atomic-write.js';
import { fsyncDir } from './fsync-dir.js';
import { mkdirDurable } from './mkdir-durable.js';
import { sha256File } from './sha256.js';

const CHUNK = 1 << 20;
/** Dirty data allowed before a flush: one large fsync at the end would stall the writer's own fsyncs. */
const FLUSH_EVERY = 8 << 20;

/** Copies in chunks, flushing every few MiB, so that the host's other writers never queue behind a big fsync. */
async function copyFlushing(src: string, dest: string): Promise<void> {
  const input = await open(src, 'r');
  try {
    const output = await open(dest, 'w', 0o600);
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let dirty = 0;
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        await output.write(buf, 0, bytesRead);
        dirty += bytesRead;
        if (dirty >= FLUSH_EVERY) {
          await output.datasync();
          dirty = 0;
        }
      }
      await output.sync();
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/**
 * Copies `src` to `tmp` (creating its folder), fsyncs it and checks that its SHA-256 is `expectedSha256`, then
 * sets `mode`. On any failure the `tmp` is removed. Works across filesystems (archive tier on a NAS).
 */
export async function copyVerifiedTmp(
  src: string,
  tmp: string,
  expectedSha256: string,
  mode: number,
): Promise<{ bytes: number }> {
  try {
    await mkdirDurable(dirname(tmp));
    await copyFlushing(src, tmp);
    faultWrite('copy', tmp);
    faultPoint('copy:after-tmp');
    const digest = await sha256File(tmp);
    if (digest.sha256 !== expectedSha256) {
      throw new TickdbError(
        'VERIFY',
        `copy of ${src} does not match the recorded SHA-256 (${digest.sha256} != ${expectedSha256})`,
        {
          path: src,
          hint: 'the source changed since it was recorded; run `tickdb verify --deep`',
        },
      );
    }
    await chmod(tmp, mode);
    return { bytes: digest.bytes };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('copy', src, err);
  }
}

/**
 * Copies `src` to `dest` so that `dest` is either unchanged or a verified copy: a verified `*.tmp`, then a
 * rename over `dest` (atomically replacing an older copy) and an fsync of the directory.
 */
export async function copyVerified(
  src: string,
  dest: string,
  expectedSha256: string,
  mode: number,
): Promise<{ bytes: number }> {
  const tmp = tmpPathFor(dest);
  const result = await copyVerifiedTmp(src, tmp, expectedSha256, mode);
  try {
    await rename(tmp, dest);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('rename', dest, err);
  }
  await fsyncDir(dirname(dest));
  return result;
}

/** Deletes a file and fsyncs its directory; a file already gone is fine. */
export async function removeDurably(path: string): Promise<boolean> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false;
    throw ioError('delete', path, err);
  }
  await fsyncDir(dirname(path));
  return true;
}
