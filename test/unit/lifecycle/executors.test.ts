import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../../src/fs/sha256.js';
import { compressDay } from '../../../src/lifecycle/compress-day.js';
import { finishPending } from '../../../src/lifecycle/recover.js';
import { restoreDay } from '../../../src/lifecycle/restore-day.js';
import { sealDay } from '../../../src/lifecycle/seal-day.js';
import { scanTiers } from '../../../src/layout/scan.js';
import type { CompressStep, FinishPendingStep, SealStep } from '../../../src/lifecycle/step-types.js';
import { decompressFile } from '../../../src/zstd/index.js';
import { FIXTURE_DAY, type FixtureTree, openFixture } from './fixture-tree.js';

/**
 * The step executors, in process, over the named trees of test/fixtures/ (test/fixtures/make-fixtures.ts says how
 * each was made). A failure here names the executor; the spawned-CLI and crash tests cover the same steps end to end.
 */
const trees: FixtureTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});
async function fixture(name: string): Promise<FixtureTree> {
  const t = await openFixture(name);
  trees.push(t);
  return t;
}

const base = { dataset: 'ticks', day: FIXTURE_DAY, age: 9 } as const;

function sealStep(t: FixtureTree): SealStep {
  return { ...base, kind: 'seal', job: 'rotate', path: t.dbPath, bytes: statSync(t.dbPath).size };
}

describe('sealDay', () => {
  it('wal-day: folds the rows left in the -wal into the file, records its hash and makes it read-only', async () => {
    const t = await fixture('wal-day');
    const outcome = await sealDay(sealStep(t), t.ctx);
    expect(outcome.status).toBe('done');
    expect(existsSync(`${t.dbPath}-wal`)).toBe(false);
    expect(statSync(t.dbPath).mode & 0o777).toBe(0o444);
    const rec = t.store.get('ticks', FIXTURE_DAY);
    expect(rec).toMatchObject({ state: 'sealed', rows: 200, minTs: '1772323200000000000' });
    expect(rec?.sha256).toBe((await sha256File(t.dbPath)).sha256);
    expect(t.auditEvents()).toEqual(['sealed']);
  });

  it('not-a-database: quarantined where it is, its bytes and mode as found', async () => {
    const t = await fixture('not-a-database');
    const before = readFileSync(t.dbPath);
    const mode = statSync(t.dbPath).mode;
    const outcome = await sealDay(sealStep(t), t.ctx);
    expect(outcome.status).toBe('quarantined');
    expect(readFileSync(t.dbPath).equals(before)).toBe(true);
    expect(statSync(t.dbPath).mode).toBe(mode);
    expect(t.store.get('ticks', FIXTURE_DAY)?.state).toBe('quarantined');
  });
});

describe('compressDay (and the move protocol under it)', () => {
  it('sealed-day: a verified .zst replaces the .db; it decompresses to the recorded SHA-256', async () => {
    const t = await fixture('sealed-day');
    const recorded = t.store.get('ticks', FIXTURE_DAY)?.sha256;
    const step: CompressStep = {
      ...base,
      kind: 'compress',
      job: 'compress',
      source: t.dbPath,
      dest: `${t.dbPath}.zst`,
      bytes: statSync(t.dbPath).size,
      level: 3,
    };
    const outcome = await compressDay(step, t.ctx);
    expect(outcome.status).toBe('done');
    expect(existsSync(t.dbPath)).toBe(false);
    const rec = t.store.get('ticks', FIXTURE_DAY);
    expect(rec).toMatchObject({ state: 'compressed', zstSha256: (await sha256File(step.dest)).sha256 });
    expect(rec?.pendingDelete).toBeUndefined();
    const out = join(t.root, 'check.db');
    await decompressFile(step.dest, out, { threads: 1 });
    expect((await sha256File(out)).sha256).toBe(recorded);
    expect(t.auditEvents()).toContain('compressed');
  });

  it('sealed-day changed since its seal: quarantined, the .db kept, no .zst left', async () => {
    const t = await fixture('sealed-day');
    const rec = t.store.get('ticks', FIXTURE_DAY);
    if (rec !== undefined) rec.sha256 = '0'.repeat(64); // the record no longer matches the file
    const step: CompressStep = {
      ...base,
      kind: 'compress',
      job: 'compress',
      source: t.dbPath,
      dest: `${t.dbPath}.zst`,
      bytes: statSync(t.dbPath).size,
      level: 3,
    };
    const outcome = await compressDay(step, t.ctx);
    expect(outcome.status).toBe('quarantined');
    expect(existsSync(t.dbPath)).toBe(true);
    expect(existsSync(step.dest)).toBe(false);
    expect(existsSync(`${step.dest}.tmp`)).toBe(false);
  });
});

describe('finishPending (recovery of an interrupted move)', () => {
  function pendingStep(t: FixtureTree): FinishPendingStep {
    return { ...base, kind: 'finish-pending', job: 'recover', source: t.dbPath, successor: `${t.dbPath}.zst` };
  }

  it('interrupted-compress: the successor matches its intent, so the source is deleted', async () => {
    const t = await fixture('interrupted-compress');
    const outcome = await finishPending(pendingStep(t), t.ctx);
    expect(outcome.status).toBe('done');
    expect(existsSync(t.dbPath)).toBe(false);
    expect(existsSync(`${t.dbPath}.zst`)).toBe(true);
    const rec = t.store.get('ticks', FIXTURE_DAY);
    expect(rec?.state).toBe('compressed');
    expect(rec?.pendingDelete).toBeUndefined();
  });

  it('interrupted-compress without its successor: rolled back, the source kept and the .zst hashes forgotten', async () => {
    const t = await fixture('interrupted-compress');
    rmSync(`${t.dbPath}.zst`); // the rename never happened
    const outcome = await finishPending(pendingStep(t), t.ctx);
    expect(outcome.status).toBe('done');
    expect(existsSync(t.dbPath)).toBe(true);
    const rec = t.store.get('ticks', FIXTURE_DAY);
    expect(rec?.state).toBe('sealed');
    expect(rec?.zstSha256).toBeUndefined();
    expect(rec?.pendingDelete).toBeUndefined();
  });

  it('interrupted-compress with a successor that does not match: quarantined, both files kept', async () => {
    const t = await fixture('interrupted-compress');
    writeFileSync(`${t.dbPath}.zst`, 'not the verified copy');
    const outcome = await finishPending(pendingStep(t), t.ctx);
    expect(outcome.status).toBe('quarantined');
    expect(existsSync(t.dbPath)).toBe(true);
    expect(existsSync(`${t.dbPath}.zst`)).toBe(true);
  });
});

describe('restoreDay', () => {
  it('compressed-with-backup: refused while the .zst is there; with force the verified backup comes back, the .zst kept aside', async () => {
    const t = await fixture('compressed-with-backup');
    const recorded = t.store.get('ticks', FIXTURE_DAY)?.sha256;
    const scan = await scanTiers(t.dirs, ['ticks']);
    const rctx = {
      config: t.ctx.config,
      dirs: t.dirs,
      clock: t.ctx.clock,
      now: t.ctx.clock.now(),
      store: t.store,
      scan,
    };
    const request = { dataset: 'ticks', day: FIXTURE_DAY, force: false, dryRun: false };
    await expect(restoreDay(rctx, request)).rejects.toMatchObject({ code: 'REFUSED', path: `${t.dbPath}.zst` });
    expect(existsSync(t.dbPath)).toBe(false);
    const result = await restoreDay(rctx, { ...request, force: true });
    expect(result.copied).toBe(true);
    expect((await sha256File(t.dbPath)).sha256).toBe(recorded);
    expect(statSync(t.dbPath).mode & 0o777).toBe(0o444);
    expect(result.keptAside.map((k) => k.path)).toEqual([`${t.dbPath}.zst`]);
    expect(existsSync(result.keptAside[0]?.as ?? '')).toBe(true);
    expect(t.store.get('ticks', FIXTURE_DAY)).toMatchObject({ state: 'sealed', sha256: recorded });
    expect(t.auditEvents()).toContain('restored');
  });
});
