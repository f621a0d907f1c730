import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statfsSync, statSync, writeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir, expectExit } from '../helpers/cli.js';
import { runnableClock } from '../helpers/runnable-time.js';
import { until } from '../helpers/writer.js';

/**
 * Early compression on a really small file system: the db tier on a 32 MiB tmpfs (backups and the archive on the
 * host's disk, another file system), filled below diskSpace.warnFreePercent; the agent, at its start-up catch-up,
 * compresses the oldest sealed day straight into the archive, audited with the reason, stops once the estimate
 * is above the threshold again, and the writer then stores more than there was room for before. Skipped, saying
 * why, where this machine refuses to mount a tmpfs.
 */
const NOW = '2026-03-14T12:00:00Z';
const TODAY = '2026-03-14';
const MiB = 1024 * 1024;

interface Meta {
  days: Record<string, { state: string; bytes?: number }>;
}
interface AuditLine {
  event: string;
  day?: string;
  reason?: string;
}

function freePercent(path: string): { pct: number; free: number; total: number } {
  const s = statfsSync(path);
  return { pct: (s.bavail / s.blocks) * 100, free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

/** Fills the file system of `dir` with a filler file until `pct` percent is left free. */
function fillTo(dir: string, pct: number): void {
  const { free, total } = freePercent(dir);
  const bytes = Math.max(0, free - Math.floor((pct / 100) * total));
  const fd = openSync(join(dir, 'filler.bin'), 'w');
  try {
    const chunk = Buffer.alloc(MiB, 0x5a);
    for (let left = bytes; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, left));
  } finally {
    closeSync(fd);
  }
}

describe('early compression when the db tier runs low (real tmpfs)', () => {
  let dir: string;
  let cleanup: () => void;
  let mnt: string;
  let mounted = false;
  let refused = '';

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-low-disk-'));
    mnt = join(dir, 'small-fs');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mnt], { encoding: 'utf8' });
    mounted = m.status === 0;
    refused = m.stderr?.trim() || m.error?.message || `mount exited ${m.status}`;
  });
  afterAll(() => {
    if (mounted) spawnSync('umount', [mnt]);
    cleanup();
  });

  it('the agent compresses the oldest sealed days early, into the archive on another file system, until there is room', async (ctx) => {
    if (!mounted) {
      process.stdout.write(
        `skipped: early compression on a real small file system needs a tmpfs: mount refused: ${refused}\n`,
      );
      ctx.skip();
    }
    const root = join(mnt, 'ticks');
    const config = join(dir, 'tickdb.json');
    writeFileSync(
      config,
      JSON.stringify({ backupDir: join(dir, 'backup'), archiveDir: join(dir, 'archive'), compressionLevel: 1 }),
    );
    const cli = (...args: string[]) => runCli([...args, '--root', root, '--config', config, '--now', NOW]);
    // five past days of about 3 MiB each (ages 1..5, all younger than compressAfterDays 7), sealed and backed up
    expectExit(runCli(['simulate', '--days', '5', '--rows', '40000', '--root', root, '--now', NOW]));
    const sealed = cli('run', '--once');
    expect(sealed.code, sealed.stderr).toBe(0);
    const meta = (): Meta => JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as Meta;
    expect(Object.values(meta().days).filter((d) => d.state === 'sealed')).toHaveLength(5);

    fillTo(mnt, 8); // below warnFreePercent (15), above critFreePercent (5)
    const before = freePercent(mnt);
    expect(before.pct).toBeLessThan(15);
    const today = join(root, 'db', '2026', '03', `ticks_${TODAY}.db`);
    const todayBefore = statSync(today).size;

    const agent = spawnCli(['run', '--root', root, '--config', config, '--now', NOW]);
    let log = '';
    agent.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<number | null>((r) => agent.once('exit', (code) => r(code)));
    try {
      await until(
        () => log.includes('"msg":"catch-up finished"'),
        'the catch-up to finish',
        90_000,
        runnableClock(agent.pid ?? -1),
      );
    } finally {
      agent.kill('SIGTERM');
    }
    expect(await exited, log).toBe(0);

    const after = freePercent(mnt);
    expect(after.pct, `free before ${before.pct.toFixed(1)}%, after ${after.pct.toFixed(1)}%`).toBeGreaterThanOrEqual(
      15,
    );
    const days = meta().days;
    // oldest first, and no more than the estimate needs: the youngest sealed days stay in db/
    expect(days['ticks/2026-03-09']?.state).toBe('archived');
    expect(days['ticks/2026-03-13']?.state).toBe('sealed');
    expect(days[`ticks/${TODAY}`]?.state).toBe('live');
    expect(statSync(today).size).toBe(todayBefore);
    const audit = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditLine);
    const early = audit.filter((l) => l.reason?.includes('below diskSpace.warnFreePercent (15%)'));
    expect(early.map((l) => `${l.event} ${l.day}`)).toContain('compressed-to-archive 2026-03-09');
    for (const l of early) expect(l.reason).toMatch(/compressed at age \d, before compressAfterDays \(7\)/);
    expectExit(cli('audit', 'verify'));

    // the writer now stores more than there was room for before the agent made room
    const writer = new Database(today);
    try {
      // as a tick writer does: small transactions, the WAL checkpointed often (so that it stays small itself)
      writer.pragma('wal_autocheckpoint = 100');
      const insert = writer.prepare(
        'INSERT INTO ticks (ts, symbol, bid, ask, bid_size, ask_size) VALUES (?, ?, 1.0, 1.1, 100, 200)',
      );
      let ts = 0n;
      while (statSync(today).size - todayBefore <= before.free + MiB / 4) {
        writer.transaction(() => {
          for (let k = 0; k < 1000; k++) insert.run(ts++, `SYM${Number(ts % 100n)}`);
        })();
      }
      writer.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      writer.close();
    }
    expect(statSync(today).size - todayBefore).toBeGreaterThan(before.free);
  });
});
