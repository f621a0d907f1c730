import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import type { StatusFacts } from '../../../src/inspect/status/facts.js';
import type { DayFiles, TierFile, TierScan } from '../../../src/layout/scan.js';
import { dayKey, dayPath, tierDirs, type FileKind, type Tier } from '../../../src/layout/tiers.js';
import { emptyMetadata, type DayRecord, type JobOutcome, type Metadata } from '../../../src/store/metadata-types.js';

/** Plain-data facts for the pure checks: no files anywhere. */
export const dirs = tierDirs({ root: '/r', host: 'h' });

export function config(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ env: {} }).config, ...overrides };
}

export function file(day: string, tier: Tier, kind: FileKind, extra: Partial<TierFile> = {}): TierFile {
  return { tier, kind, dataset: 'ticks', day, path: dayPath(dirs, tier, 'ticks', day, kind), bytes: 1000, mode: 0o644, hasWal: false, walBytes: 0, ...extra };
}

export function scanOf(files: TierFile[], extra: Partial<TierScan> = {}): TierScan {
  const days = new Map<string, DayFiles>();
  for (const f of files) {
    const key = dayKey(f.dataset, f.day);
    const e = days.get(key) ?? { dataset: f.dataset, day: f.day, extra: [] };
    const slot = f.tier === 'backup' ? 'backup' : f.tier === 'archive' ? (f.kind === 'zst' ? 'archive' : 'archiveDb') : f.kind === 'zst' ? 'zst' : 'db';
    if (e[slot] === undefined) e[slot] = f;
    else e.extra.push(f);
    days.set(key, e);
  }
  return { files, days, anomalies: [], tmpFiles: [], ...extra };
}

export function record(day: string, state: DayRecord['state'], extra: Partial<DayRecord> = {}): DayRecord {
  const sealed = state !== 'live';
  return { dataset: 'ticks', day, state, ...(sealed ? { sha256: 'a'.repeat(64), bytes: 1000, sealedAt: `${day}T23:59:00Z` } : {}), ...extra };
}

export function metadataOf(records: DayRecord[], jobs: Record<string, JobOutcome> = {}, now = new Date('2026-03-10T12:00:00Z')): Metadata {
  const m = emptyMetadata(now);
  for (const r of records) m.days[dayKey(r.dataset, r.day)] = r;
  m.jobs = jobs;
  return m;
}

export function jobOk(at: string, extra: Partial<JobOutcome> = {}): JobOutcome {
  return { startedAt: at, finishedAt: at, ok: true, counts: {}, errors: [], lastSuccessAt: at, ...extra };
}

/** A healthy picture at `now` unless overridden: found metadata, a live agent, an intact trail, roomy disks. */
export function facts(now: string, overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    now: new Date(now),
    config: config(),
    dirs,
    scan: scanOf([]),
    metadata: { metadata: metadataOf([]), found: true },
    keptAside: [],
    lock: { info: { pid: 42, startedAt: '2026-03-01T00:00:00Z', command: 'run', host: 'h' }, live: true },
    audit: { ok: true, path: '/r/db/audit.jsonl', lines: 10, lastHash: 'f'.repeat(64), problems: [], beyondCheckpoint: 0 },
    disk: (['db', 'backup', 'archive'] as const).map((tier) => ({ tier, dir: dirs[tier], measuredAt: dirs[tier], device: 1, totalBytes: 1000, availableBytes: 500 })),
    writable: {},
    uid: 1000,
    ...overrides,
  };
}
