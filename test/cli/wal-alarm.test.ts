import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, expectExit } from '../helpers/cli.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * The WAL alarm end to end: a real writer inserting into today's database, a reader holding a transaction open
 * (what defeats the autocheckpoint, Litestream #1536), `run --once` sampling the -wal an hour apart (the clock
 * injected with --now), then `status` and the metrics.
 */
const T0 = '2026-03-10T09:00:00Z';
const at = (min: number): string => new Date(Date.parse(T0) + min * 60_000).toISOString();
const TODAY = '2026-03-10';

/** Inserts rows of ~200 bytes in one transaction (the writer's side: its own connection, autocheckpoint on). */
function write(db: Database.Database, rows: number, from: number): void {
  const stmt = db.prepare('INSERT INTO ticks (ts, symbol, bid, ask) VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) stmt.run(BigInt(from + i), `SYM${'x'.repeat(180)}${i % 50}`, 1.5, 1.6);
  })();
}

describe('WAL growth and checkpoint starvation', () => {
  let dir: string;
  let cleanup: () => void;
  let config: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-wal-alarm-'));
    config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify({ walWarnBytes: 4 * 1024 * 1024 }));
  });
  afterAll(() => cleanup());

  /** Today's database made by tickdb, and the writer's and (optionally) a reader's connections to it. */
  function setup(name: string) {
    const root = join(dir, name);
    const cli = (now: string, ...args: string[]) => runCli([...args, '--root', root, '--config', config, '--now', now]);
    expectExit(cli(at(0), 'rotate'));
    const path = join(root, 'db', '2026', '03', `ticks_${TODAY}.db`);
    return { root, cli, path };
  }

  it('a reader holding a transaction starves the checkpoints: status and the metrics say so after an hour', () => {
    const { root, cli, path } = setup('starved');
    const writer = new Database(path);
    const reader = new Database(path, { readonly: true });
    try {
      write(writer, 100, 0);
      reader.exec('BEGIN');
      reader.prepare('SELECT count(*) FROM ticks').get(); // a snapshot the checkpoints must not overtake
      write(writer, 6000, 100); // ~1200 pages: past the autocheckpoint threshold, which cannot finish
      expectExit(cli(at(1), 'run', '--once'));
      write(writer, 6000, 6100);
      const early = cli(at(30), 'status');
      expect(early.stdout).not.toMatch(/without a checkpoint/);
      expectExit(cli(at(62), 'run', '--once'));
      const walBytes = statSync(`${path}-wal`).size;

      const status = cli(at(63), 'status');
      expect(status.code).toBe(1);
      expect(status.stdout).toMatch(
        new RegExp(`WARNING\\s+wal\\s+today's -wal of ticks/${TODAY} has grown for 61 min without a checkpoint`),
      );
      expect(status.stdout).toMatch(
        /WARNING\s+wal\s+today's -wal of ticks\/2026-03-10 is [\d.]+ MiB, above walWarnBytes/,
      );
      const prom = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
      expect(prom).toContain(`tickdb_wal_bytes{dataset="ticks"} ${walBytes}`);
      // 61 min between the two runs' --now; each run's clock then moves on in real time while it works, so the
      // sample and the metrics are a few ms past their --now (floor: 3659 when the first run took longer).
      const growing = Number(/^tickdb_wal_growing_seconds\{dataset="ticks"\} (\d+)$/m.exec(prom)?.[1]);
      expect(growing).toBeGreaterThanOrEqual(3659);
      expect(growing).toBeLessThan(3660 + 60);
      const version = (writer.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v.split('.').map(Number);
      const number = (version[0] ?? 0) * 1_000_000 + (version[1] ?? 0) * 1000 + (version[2] ?? 0);
      expect(prom).toContain(`tickdb_writer_sqlite_version{dataset="ticks"} ${number}`);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('without the reader the checkpoints keep up: no starvation is reported, however long the writer writes', () => {
    const { root, cli, path } = setup('healthy');
    const writer = new Database(path);
    try {
      write(writer, 6000, 0);
      expectExit(cli(at(1), 'run', '--once'));
      write(writer, 6000, 6000);
      expectExit(cli(at(62), 'run', '--once'));
      const status = cli(at(63), 'status');
      // (the size alone is above this test's small walWarnBytes: the WAL keeps its high-water mark on disk)
      expect(status.stdout).not.toMatch(/without a checkpoint/);
      const prom = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
      expect(prom).toContain('tickdb_wal_growing_seconds{dataset="ticks"} 0');
    } finally {
      writer.close();
    }
  });

  describe.skipIf(!needProgram('sqlite3'))('a writer linking another SQLite (the sqlite3 CLI)', () => {
    it("names the writer's SQLite from the newest page 1, and warns when it is older than 3.51.3", () => {
      const { cli, path } = setup('old-writer');
      const keep = new Database(path, { readonly: true }); // keeps the CLI's -wal (and its page 1) in place
      keep.prepare('SELECT count(*) FROM sqlite_master').get(); // opens the wal-index: the CLI is not the last connection
      try {
        const cliVersion = spawnSync('sqlite3', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[0] ?? '';
        const inserts = Array.from(
          { length: 3000 },
          (_, i) => `INSERT INTO ticks (ts, symbol) VALUES (${i}, 'S${'y'.repeat(60)}');`,
        );
        const r = spawnSync('sqlite3', [path], { input: `BEGIN;\n${inserts.join('\n')}\nCOMMIT;\n`, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        expectExit(cli(at(1), 'run', '--once'));
        const status = cli(at(2), 'status');
        const [major = 0, minor = 0, patch = 0] = cliVersion.split('.').map(Number);
        const old = major * 1_000_000 + minor * 1000 + patch < 3_051_003;
        if (old) {
          expect(status.stdout).toMatch(
            new RegExp(
              `WARNING\\s+wal\\s+ticks/${TODAY} was last written by SQLite ${cliVersion.replaceAll('.', '\\.')} \\(header of page 1 in the -wal\\), older than 3\\.51\\.3`,
            ),
          );
        } else {
          expect(status.stdout).toMatch(new RegExp(`SQLite ${cliVersion.replaceAll('.', '\\.')}`));
          expect(status.stdout).not.toMatch(/older than 3\.51\.3/);
        }
      } finally {
        keep.close();
      }
    });
  });
});
