import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, ioError } from '../errors.js';
import { atomicWrite } from '../fs/atomic-write.js';
import type { TierDirs } from '../layout/tiers.js';
import type { WalGeneration, WriterVersion } from '../sqlite/wal-file.js';

/** One look at today's `-wal` of one dataset, taken by the agent every few minutes (and by `run --once`). */
export interface WalSample {
  dataset: string;
  day: string;
  at: string;
  walBytes: number;
  committedFrames: number;
  /** nBackfill from the -shm: frames the last checkpoint copied back (absent without a -shm). */
  backfilledFrames?: number;
  generation?: WalGeneration;
  writer?: WriterVersion;
}

interface SampleFile {
  version: 1;
  samples: WalSample[];
}

/** Samples older than this are dropped when the file is written: the longest window any check looks at, and some. */
export const SAMPLE_KEEP_MS = 3 * 3_600_000;

/** `db/wal_samples.json`, beside the metadata: written by the lock holder, read by `status` and the metrics. */
export function walSamplesPath(dirs: Pick<TierDirs, 'db'>): string {
  return join(dirs.db, 'wal_samples.json');
}

function isSample(x: unknown): x is WalSample {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Partial<WalSample>;
  return (
    typeof s.dataset === 'string' &&
    typeof s.day === 'string' &&
    typeof s.at === 'string' &&
    typeof s.walBytes === 'number' &&
    typeof s.committedFrames === 'number'
  );
}

/** The samples on disk; none when the file is missing or not readable as samples (it is only ever a cache). */
export async function readWalSamples(dirs: Pick<TierDirs, 'db'>): Promise<WalSample[]> {
  const path = walSamplesPath(dirs);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return [];
    throw ioError('read', path, err);
  }
  try {
    const parsed = JSON.parse(text) as Partial<SampleFile>;
    return Array.isArray(parsed.samples) ? parsed.samples.filter(isSample) : [];
  } catch {
    return [];
  }
}

/** Adds `fresh` to the samples kept, dropping those older than SAMPLE_KEEP_MS before `now` (or after it: a clock set back). */
export function mergeSamples(kept: readonly WalSample[], fresh: readonly WalSample[], now: Date): WalSample[] {
  const from = now.getTime() - SAMPLE_KEEP_MS;
  const to = now.getTime();
  return [...kept, ...fresh]
    .filter((s) => {
      const at = Date.parse(s.at);
      return at >= from && at <= to;
    })
    .sort((a, b) => a.at.localeCompare(b.at));
}

export async function writeWalSamples(dirs: Pick<TierDirs, 'db'>, samples: readonly WalSample[]): Promise<void> {
  const doc: SampleFile = { version: 1, samples: [...samples] };
  await atomicWrite(walSamplesPath(dirs), `${JSON.stringify(doc)}\n`);
}
