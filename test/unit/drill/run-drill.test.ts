import { chmodSync, copyFileSync, mkdirSync, openSync, closeSync, writeSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RemoteCopySource } from '../../../src/drill/drill-types.js';
import { runDrill } from '../../../src/drill/run-drill.js';
import { scanTiers } from '../../../src/layout/scan.js';
import { dayKey } from '../../../src/layout/tiers.js';
import type { DayRecord } from '../../../src/store/metadata-types.js';
import { FIXTURE_DAY, type FixtureTree, openFixture } from '../lifecycle/fixture-tree.js';

/**
 * The remote tier's seam, in process: a RemoteCopySource backed by a folder (a second replica of the archive,
 * which is what the S3 target is to the drill: a copy it downloads, then checks like a local .db.zst).
 */
function folderRemote(folder: string): RemoteCopySource {
  const pathOf = (rec: DayRecord): string => join(folder, `${rec.dataset}_${rec.day}.db.zst`);
  return {
    tier: 's3',
    copyOf: (rec) => (rec.zstSha256 === undefined ? undefined : { tier: 's3', kind: 'zst', location: pathOf(rec) }),
    download: (rec, dest) => copyFile(pathOf(rec), dest),
  };
}

describe('runDrill with a remote tier (the S3 seam)', () => {
  const trees: FixtureTree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.cleanup();
  });

  async function setup(): Promise<{ t: FixtureTree; remote: RemoteCopySource; replica: string }> {
    const t = await openFixture('compressed-with-backup');
    trees.push(t);
    const folder = join(t.root, 'replica');
    mkdirSync(folder);
    const replica = join(folder, `ticks_${FIXTURE_DAY}.db.zst`);
    copyFileSync(join(t.root, 'db', '2026', '03', `ticks_${FIXTURE_DAY}.db.zst`), replica);
    return { t, remote: folderRemote(folder), replica };
  }

  const drill = async (t: FixtureTree, remote: RemoteCopySource) => {
    const scan = await scanTiers(t.dirs, ['ticks']);
    const ctx = { config: t.ctx.config, clock: t.ctx.clock, store: t.store, scan, remote };
    return runDrill(ctx, { target: { dataset: 'ticks', day: FIXTURE_DAY }, dryRun: false });
  };

  it('checks the remote copy beside the local ones', async () => {
    const { t, remote } = await setup();
    const r = await drill(t, remote);
    expect(r.days[0]?.copies.map((c) => `${c.tier}:${c.ok}`)).toEqual(['db:true', 'backup:true', 's3:true']);
    expect(r.ok).toBe(true);
    expect(t.store.get('ticks', FIXTURE_DAY)?.drill?.copies.map((c) => c.tier)).toEqual(['db', 'backup', 's3']);
  });

  it('a remote copy that does not match quarantines the day, naming the remote copy', async () => {
    const { t, remote, replica } = await setup();
    chmodSync(replica, 0o644);
    const fd = openSync(replica, 'r+');
    writeSync(fd, Buffer.alloc(16, 0xee), 0, 16, 200);
    closeSync(fd);
    const r = await drill(t, remote);
    expect(r.ok).toBe(false);
    expect(r.days[0]?.copies.find((c) => c.tier === 's3')).toMatchObject({ ok: false, bad: true });
    const rec = t.store.get('ticks', FIXTURE_DAY);
    expect(rec?.state).toBe('quarantined');
    expect(rec?.quarantine?.reason).toContain(`${dayKey('ticks', FIXTURE_DAY)}: s3 copy ${replica}`);
    expect(t.auditEvents()).toContain('drill');
  });
});
