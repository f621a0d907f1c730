import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { TickdbError, ioError } from '../errors.js';
import type { TierDirs } from '../layout/tiers.js';

/** A private folder in the system temp dir, refused if that is inside a tier (nothing is ever written there). */
export async function scratchDir(dirs: TierDirs, purpose: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `tickdb-${purpose}-`)).catch((err: unknown) => {
    throw ioError('create temp dir', tmpdir(), err);
  });
  const real = await realpath(dir);
  for (const tier of [dirs.db, dirs.backup, dirs.archive]) {
    const t = await realpath(tier).catch(() => tier);
    if (real === t || real.startsWith(t + sep)) {
      await rm(dir, { recursive: true, force: true });
      throw new TickdbError('USAGE', `the temp directory ${real} is inside the tier ${tier}`, {
        path: real,
        hint: 'set TMPDIR to a folder outside the tick store',
      });
    }
  }
  return dir;
}
