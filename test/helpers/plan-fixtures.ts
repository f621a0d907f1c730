import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { DayFiles, TierFile, TierScan } from '../../src/layout/scan.js';
import { dayKey, dayPath, tierDirs, type FileKind, type Tier } from '../../src/layout/tiers.js';
import { emptyMetadata, type DayRecord, type JobOutcome, type Metadata } from '../../src/store/metadata-types.js';

/** Plain data for the pure functions (planner, status checks): a tree under /r that exists nowhere. */
export const dirs = tierDirs({ root: '/r', host: 'h' });

export function config(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ env: {} }).config, ...overrides };
}

export function file(day: string, tier: Tier, kind: FileKind, extra: Partial<TierFile> = {}): TierFile {
  return {
    tier,
    kind,
    dataset: 'ticks',
    day,
    path: dayPath(dirs, tier, 'ticks', day, kind),
    bytes: 1000,
    mode: 0o644,
    hasWal: false,
    walBytes: 0,
    ...extra,
  };
}

export function scanOf(files: TierFile[], extra: Partial<TierScan> = {}): TierScan {
  const days = new Map<string, DayFiles>();
  for (const f of files) {
    const key = dayKey(f.dataset, f.day);
    const e = days.get(key) ?? { dataset: f.dataset, day: f.day, extra: [] };
    const slot =
      f.tier === 'backup'
        ? 'backup'
        : f.tier === 'archive'
          ? f.kind === 'zst'
            ? 'archive'
            : 'archiveDb'
          : f.kind === 'zst'
            ? 'zst'
            : 'db';
    if (e[slot] === undefined) e[slot] = f;
    else e.extra.push(f);
    days.set(key, e);
  }
  return { files, days, anomalies: [], tmpFiles: [], ...extra };
}

export function metadataOf(
  records: DayRecord[],
  jobs: Record<string, JobOutcome> = {},
  now = new Date('2026-03-10T12:00:00Z'),
): Metadata {
  const m = emptyMetadata(now);
  for (const r of records) m.days[dayKey(r.dataset, r.day)] = r;
  m.jobs = jobs;
  return m;
}
