import { TickdbError } from '../errors.js';
import type { DaySource, Materialize } from './query-types.js';

const MiB = 1024 * 1024;

/** The default `--memory`: what a query's day workers may hold at once, beyond Node's own ~60 MB. */
export const DEFAULT_MEMORY_BYTES = 1024 * MiB;

/** A worker's own share: its V8 isolate, SQLite's page cache (2 MiB by default) and the row batches in flight. */
const WORKER_BYTES = 48 * MiB;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: MiB, g: 1024 * MiB, t: 1024 * 1024 * MiB };

/** `1073741824`, `512M`, `1.5G`, `2GiB` (binary units, case-insensitive). */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (m === null || unit === undefined) {
    throw new TickdbError('USAGE', `${what} ${JSON.stringify(text)} is not a size`, {
      hint: 'bytes, or a number with K, M, G or T (binary units): 512M, 2G',
    });
  }
  return Math.floor(Number(m[1]) * unit);
}

/**
 * The memory a day takes while it runs. Decompressing into the cache holds `threads` frames at once (each frame's
 * compressed and decoded bytes); decompressing into memory holds those frames, then the decoded day and SQLite's
 * copy of it; a day read in place, or from the cache, only the worker's own share.
 */
export function dayMemory(source: DaySource, how: Materialize, frameBytes: number, threads: number): number {
  switch (how.mode) {
    case 'in-place':
      return WORKER_BYTES;
    case 'cache-hit':
    case 'decompress':
      return WORKER_BYTES + threads * Math.ceil(frameBytes * 1.5);
    case 'memory': {
      const zst = source.kind === 'compressed' ? source.zstBytes : 0;
      const bytes = source.kind === 'live' ? 0 : (source.bytes ?? zst * 5);
      return WORKER_BYTES + threads * Math.ceil(frameBytes * 1.5) + 2 * bytes;
    }
  }
}
