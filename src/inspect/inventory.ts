import type { Day } from '../layout/day.js';
import type { TierScan, TierFile } from '../layout/scan.js';
import { dayKey, type Tier } from '../layout/tiers.js';
import type { DayState, Metadata } from '../store/metadata-types.js';

export interface InventoryEntry {
  day: Day;
  dataset: string;
  tier: Tier;
  kind: 'db' | 'zst';
  path: string;
  bytes: number;
  /** SHA-256 of this file as recorded (the sealed database's for `.db`, the compressed file's for `.zst`). */
  sha256: string | null;
  /** SHA-256 of the day's sealed database: its identity in every tier. */
  daySha256: string | null;
  state: DayState | 'unrecorded';
  rows: number | null;
  sealedAt: string | null;
  backedUpAt: string | null;
  compressedAt: string | null;
  archivedAt: string | null;
  quarantine: string | null;
  /** The day's verified Parquet file in the research lake, when exported (DESIGN 15). */
  parquetPath: string | null;
  parquetSha256: string | null;
  exportedAt: string | null;
}

function entryFor(file: TierFile, metadata: Metadata): InventoryEntry {
  const rec = metadata.days[dayKey(file.dataset, file.day)];
  const fileSha = file.kind === 'zst' ? rec?.zstSha256 : file.tier === 'backup' ? rec?.backupSha256 : rec?.sha256;
  return {
    day: file.day,
    dataset: file.dataset,
    tier: file.tier,
    kind: file.kind,
    path: file.path,
    bytes: file.bytes,
    sha256: fileSha ?? null,
    daySha256: rec?.sha256 ?? null,
    state: rec?.state ?? 'unrecorded',
    rows: rec?.rows ?? null,
    sealedAt: rec?.sealedAt ?? null,
    backedUpAt: rec?.backedUpAt ?? null,
    compressedAt: rec?.compressedAt ?? null,
    archivedAt: rec?.archivedAt ?? null,
    quarantine: rec?.quarantine?.reason ?? null,
    parquetPath: rec?.parquet?.path ?? null,
    parquetSha256: rec?.parquet?.sha256 ?? null,
    exportedAt: rec?.parquet?.exportedAt ?? null,
  };
}

const TIER_ORDER: Record<Tier, number> = { db: 0, archive: 1, backup: 2 };

/** Every file of every tier joined with what metadata knows of its day, sorted by dataset, day, tier. */
export function buildInventory(scan: TierScan, metadata: Metadata): InventoryEntry[] {
  return scan.files
    .map((f) => entryFor(f, metadata))
    .sort((a, b) =>
      a.dataset !== b.dataset
        ? a.dataset < b.dataset
          ? -1
          : 1
        : a.day !== b.day
          ? a.day < b.day
            ? -1
            : 1
          : TIER_ORDER[a.tier] - TIER_ORDER[b.tier],
    );
}

export const INVENTORY_COLUMNS = [
  'day',
  'dataset',
  'tier',
  'kind',
  'path',
  'bytes',
  'sha256',
  'daySha256',
  'state',
  'rows',
  'sealedAt',
  'backedUpAt',
  'compressedAt',
  'archivedAt',
  'quarantine',
  'parquetPath',
  'parquetSha256',
  'exportedAt',
] as const satisfies readonly (keyof InventoryEntry)[];
