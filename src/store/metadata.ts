import { readFile, rename } from 'node:fs/promises';
import { TickdbError, errnoOf, ioError } from '../errors.js';
import { metadataPath, type TierDirs } from '../layout/tiers.js';
import { atomicWrite } from '../fs/atomic-write.js';
import { fsyncDir } from '../fs/fsync-dir.js';
import { METADATA_SCHEMA_VERSION, emptyMetadata, type Metadata } from './metadata-types.js';
import { dirname } from 'node:path';

export interface MetadataRead {
  metadata: Metadata;
  /** Set when the file on disk could not be used (missing is not a problem). */
  problem?: string;
  /** True when the file existed and was a valid current-format document. */
  found: boolean;
}

function isMetadata(value: unknown): value is Metadata {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Metadata>;
  return (
    v.schemaVersion === METADATA_SCHEMA_VERSION &&
    typeof v.days === 'object' &&
    v.days !== null &&
    typeof v.jobs === 'object' &&
    v.jobs !== null &&
    typeof v.audit === 'object' &&
    v.audit !== null &&
    typeof v.audit.lastHash === 'string' &&
    typeof v.audit.count === 'number'
  );
}

/** Reads the metadata without changing anything. A missing, unreadable or foreign file yields empty metadata. */
export async function readMetadata(dirs: TierDirs, now: Date): Promise<MetadataRead> {
  const path = metadataPath(dirs);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return { metadata: emptyMetadata(now), found: false };
    throw ioError('read metadata', path, err);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { metadata: emptyMetadata(now), found: false, problem: `${path} is not JSON (${(err as Error).message})` };
  }
  if (!isMetadata(parsed)) {
    const version = (parsed as { schemaVersion?: unknown } | null)?.schemaVersion;
    const what =
      version === undefined
        ? 'an older or unknown format (no schemaVersion)'
        : `schemaVersion ${JSON.stringify(version)}`;
    return { metadata: emptyMetadata(now), found: false, problem: `${path} is in ${what}` };
  }
  return { metadata: parsed, found: true };
}

/**
 * Reads the metadata for a command that changes the tree. A file that cannot be used is never lost: it is kept
 * aside as `rotation_metadata.json.<reason>-<timestamp>` and reported, and the caller rebuilds from a scan.
 */
export async function loadMetadataForUpdate(dirs: TierDirs, now: Date): Promise<MetadataRead & { keptAside?: string }> {
  const read = await readMetadata(dirs, now);
  if (read.problem === undefined) return read;
  const path = metadataPath(dirs);
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const aside = `${path}.unreadable-${stamp}`;
  try {
    await rename(path, aside);
    await fsyncDir(dirname(path));
  } catch (err) {
    throw ioError('keep aside metadata', path, err, 'move the file away by hand; it is never deleted by tickdb');
  }
  return { ...read, keptAside: aside };
}

export async function writeMetadata(dirs: TierDirs, metadata: Metadata, now: Date): Promise<void> {
  metadata.updatedAt = now.toISOString();
  await atomicWrite(metadataPath(dirs), `${JSON.stringify(metadata, null, 2)}\n`);
}

export function requireMetadataFound(read: MetadataRead, dirs: TierDirs): Metadata {
  if (!read.found) {
    throw new TickdbError(
      'NOT_FOUND',
      `no usable metadata in ${metadataPath(dirs)}${read.problem ? `: ${read.problem}` : ''}`,
      {
        path: metadataPath(dirs),
        hint: 'run `tickdb verify --rebuild` to rebuild it from the files on disk',
      },
    );
  }
  return read.metadata;
}
