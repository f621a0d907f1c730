import type { Day } from '../layout/day.js';
import type { TierScan, TierFile } from '../layout/scan.js';
import { dayKey, type Tier } from '../layout/tiers.js';
import type { DayRecord, DayState, Metadata } from '../store/metadata-types.js';

export interface InventoryEntry {
  day: Day;
  dataset: string;
  /** `s3`: the day's object version in the S3 archive (path `s3://BUCKET/KEY`), as the metadata records it. */
  tier: Tier | 's3';
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
  /** For the S3 archive's object: its version, lock mode, retain-until date and legal hold (DESIGN 12). */
  versionId: string | null;
  lockMode: string | null;
  retainUntil: string | null;
  legalHold: boolean | null;
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
    versionId: null,
    lockMode: null,
    retainUntil: null,
    legalHold: null,
  };
}

/** The S3 archive's object of a recorded day, as an inventory line (the metadata's record: `verify` checks the server). */
function remoteEntry(rec: DayRecord): InventoryEntry | undefined {
  const r = rec.remote;
  if (r === undefined || rec.state === 'purged') return undefined;
  return {
    day: rec.day,
    dataset: rec.dataset,
    tier: 's3',
    kind: 'zst',
    path: `s3://${r.bucket}/${r.key}`,
    bytes: r.bytes,
    sha256: r.sha256,
    daySha256: rec.sha256 ?? null,
    state: rec.state,
    rows: rec.rows ?? null,
    sealedAt: rec.sealedAt ?? null,
    backedUpAt: rec.backedUpAt ?? null,
    compressedAt: rec.compressedAt ?? null,
    archivedAt: rec.archivedAt ?? null,
    quarantine: rec.quarantine?.reason ?? null,
    parquetPath: rec.parquet?.path ?? null,
    parquetSha256: rec.parquet?.sha256 ?? null,
    exportedAt: rec.parquet?.exportedAt ?? null,
    versionId: r.versionId,
    lockMode: r.lockMode ?? null,
    retainUntil: r.retainUntil ?? null,
    legalHold: r.legalHold ?? false,
  };
}

const TIER_ORDER: Record<Tier | 's3', number> = { db: 0, archive: 1, s3: 2, backup: 3 };

/**
 * Every file of every tier joined with what metadata knows of its day, and each recorded object version in the
 * S3 archive, sorted by dataset, day, tier.
 */
export function buildInventory(scan: TierScan, metadata: Metadata): InventoryEntry[] {
  const remote = Object.values(metadata.days)
    .map(remoteEntry)
    .filter((e): e is InventoryEntry => e !== undefined);
  return [...scan.files.map((f) => entryFor(f, metadata)), ...remote].sort((a, b) =>
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
  'versionId',
  'lockMode',
  'retainUntil',
  'legalHold',
] as const satisfies readonly (keyof InventoryEntry)[];
