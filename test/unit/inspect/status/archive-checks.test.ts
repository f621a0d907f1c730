import { describe, expect, it } from 'vitest';
import { checkArchive } from '../../../../src/inspect/status/archive-checks.js';
import type { AuditAnchorRecord } from '../../../../src/store/metadata-types.js';
import { config, facts, metadataOf } from './fixtures.js';

const NOW = '2026-03-10T13:00:00Z';
const s3 = config({
  archiveTarget: {
    type: 's3',
    bucket: 'ticks-archive',
    region: 'us-east-1',
    prefix: '',
    forcePathStyle: true,
    keepLocalCopy: false,
    backlogCritDays: 3,
  } as never,
});

/** The archive check with the audit trail anchored in the bucket through `day` (DESIGN 12). */
function anchoredThrough(day: string | undefined) {
  const metadata = metadataOf([]);
  if (day !== undefined) {
    const anchor: AuditAnchorRecord = {
      day,
      seq: 1,
      hash: 'f'.repeat(64),
      key: `_audit/${day}.jsonl`,
      versionId: 'v',
      at: NOW,
      checkedThrough: day,
    };
    metadata.auditAnchor = anchor;
  }
  return checkArchive(facts(NOW, { config: s3, metadata: { metadata, found: true } }));
}

describe('status: the audit trail anchored in the S3 bucket', () => {
  it('is quiet while the last anchored day is yesterday, or the day before (the nightly pass has not run yet)', () => {
    expect(anchoredThrough('2026-03-09').results.map((r) => r.status)).toEqual(['OK']);
    expect(anchoredThrough('2026-03-08').results.map((r) => r.status)).toEqual(['OK']);
    expect(anchoredThrough(undefined).results.map((r) => r.status)).toEqual(['OK']);
  });

  it('warns once two finished days or more wait for the bucket, naming the last day anchored', () => {
    const out = anchoredThrough('2026-03-06');
    expect(out.results).toHaveLength(1);
    expect(out.results[0]).toMatchObject({ name: 'archive', status: 'WARNING' });
    expect(out.results[0]?.message).toBe(
      'the audit trail is anchored in s3://ticks-archive through 2026-03-06: 3 finished day(s) wait for the bucket',
    );
  });
});
