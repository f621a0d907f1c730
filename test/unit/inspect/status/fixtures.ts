import type { StatusFacts } from '../../../../src/inspect/status/facts.js';
import type { DayRecord, JobOutcome } from '../../../../src/store/metadata-types.js';
import { config, dirs, metadataOf, scanOf } from '../../../helpers/plan-fixtures.js';

export { config, dirs, file, metadataOf, scanOf } from '../../../helpers/plan-fixtures.js';

/** Plain-data facts for the pure checks: no files anywhere. */
export function record(day: string, state: DayRecord['state'], extra: Partial<DayRecord> = {}): DayRecord {
  const sealed = state !== 'live';
  return {
    dataset: 'ticks',
    day,
    state,
    ...(sealed ? { sha256: 'a'.repeat(64), bytes: 1000, sealedAt: `${day}T23:59:00Z` } : {}),
    ...extra,
  };
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
    audit: {
      ok: true,
      path: '/r/db/audit.jsonl',
      lines: 10,
      lastHash: 'f'.repeat(64),
      problems: [],
      beyondCheckpoint: 0,
    },
    disk: (['db', 'backup', 'archive'] as const).map((tier) => ({
      tier,
      dir: dirs[tier],
      measuredAt: dirs[tier],
      device: 1,
      totalBytes: 1000,
      availableBytes: 500,
    })),
    writable: {},
    uid: 1000,
    walSamples: [],
    ...overrides,
  };
}
