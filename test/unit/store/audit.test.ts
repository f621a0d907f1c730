import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tierDirs, type TierDirs } from '../../../src/layout/tiers.js';
import { appendAudit, verifyAudit } from '../../../src/store/audit.js';
import { GENESIS_HASH, type AuditCheckpoint } from '../../../src/store/metadata-types.js';
import { tempDir } from '../../helpers/cli.js';

let dirs: TierDirs;
let cleanup: () => void;
const now = new Date('2026-03-01T00:00:00Z');

beforeEach(() => {
  const t = tempDir();
  cleanup = t.cleanup;
  dirs = tierDirs({ root: t.dir, host: 'h' });
  mkdirSync(dirs.db, { recursive: true });
});
afterEach(() => cleanup());

async function appendN(
  n: number,
  from: AuditCheckpoint = { lastHash: GENESIS_HASH, count: 0 },
): Promise<AuditCheckpoint> {
  let cp = from;
  for (let i = 0; i < n; i++) cp = await appendAudit(dirs, cp, { event: 'sealed', day: `2026-02-0${i + 1}` }, now);
  return cp;
}

describe('audit trail', () => {
  it('chains every line and matches the checkpoint', async () => {
    const cp = await appendN(3);
    const v = await verifyAudit(dirs, cp);
    expect(v).toMatchObject({ ok: true, lines: 3, lastHash: cp.lastHash, beyondCheckpoint: 0 });
  });

  it('detects an edited line even with an untouched hash field', async () => {
    const cp = await appendN(3);
    const path = join(dirs.db, 'audit.jsonl');
    writeFileSync(path, readFileSync(path, 'utf8').replace('2026-02-02', '2026-02-09'));
    const v = await verifyAudit(dirs, cp);
    expect(v.ok).toBe(false);
    expect(v.problems.map((p) => p.line)).toContain(2);
  });

  it('keeps a line torn by a power cut apart from the next one', async () => {
    const cp = await appendN(2);
    const path = join(dirs.db, 'audit.jsonl');
    appendFileSync(path, '{"event":"sealed","day":"2026-02-0'); // no newline: torn
    await appendN(1, cp);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[2]).toBe('{"event":"sealed","day":"2026-02-0');
    expect(JSON.parse(lines[3] ?? '') as { seq: number }).toMatchObject({ seq: 3 });
    const v = await verifyAudit(dirs, undefined);
    expect(v.problems.find((p) => p.line === 3)?.problem).toBe('not JSON');
  });
});
