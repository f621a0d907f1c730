import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoOf, ioError } from '../errors.js';

/** The file system under a directory: which one (device), how large, and how much of it this user may still use. */
export interface FreeSpace {
  dir: string;
  /** The directory itself, or its nearest existing parent (a tier not created yet will live there). */
  measuredAt: string;
  device: number;
  totalBytes: number;
  availableBytes: number;
}

/** The directory itself, or its nearest existing parent (a tier not created yet will live there). */
export async function nearestExisting(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      await stat(current);
      return current;
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT' || dirname(current) === current) throw ioError('stat', current, err);
    }
  }
}

/** `statfs(2)` of the file system `dir` is on (or will be on): a few ms, exact for bind mounts, NFS and tmpfs. */
export async function freeSpaceOf(dir: string): Promise<FreeSpace> {
  const measuredAt = await nearestExisting(dir);
  try {
    const [st, fs] = await Promise.all([stat(measuredAt), statfs(measuredAt)]);
    return { dir, measuredAt, device: st.dev, totalBytes: fs.blocks * fs.bsize, availableBytes: fs.bavail * fs.bsize };
  } catch (err) {
    throw ioError('statfs', measuredAt, err);
  }
}
