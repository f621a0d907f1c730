import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isIgnoredByWatcher, watchTiers, type TierWatcher } from '../../../src/agent/watcher.js';
import { tierDirs } from '../../../src/layout/tiers.js';
import { tempDir } from '../../helpers/cli.js';

async function waitUntil(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('isIgnoredByWatcher', () => {
  it("ignores SQLite side files, temporary files and the agent's own state", () => {
    for (const p of [
      '/r/db/2026/03/ticks_2026-03-10.db-wal',
      '/r/db/2026/03/ticks_2026-03-10.db-shm',
      '/r/db/2026/03/ticks_2026-03-10.db-journal',
      '/r/db/2026/03/.ticks_2026-03-01.db.zst.123.tmp',
      '/r/db/rotation_metadata.json',
      '/r/db/.rotation_metadata.json.55.tmp',
      '/r/db/rotation_metadata.json.unreadable-2026-03-10T13-00-00-000Z',
      '/r/db/audit.jsonl',
      '/r/db/tickdb.lock',
      '/r/db/tickdb.lock.stale-77',
      '/r/db/tickdb.prom',
    ])
      expect(isIgnoredByWatcher(p), p).toBe(true);
    for (const p of [
      '/r/db/2026/03/ticks_2026-03-10.db',
      '/r/archive/2026/01/ticks_2026-01-02.db.zst',
      '/r/backup/2026',
      '/r/db',
    ]) {
      expect(isIgnoredByWatcher(p), p).toBe(false);
    }
  });
});

describe('watchTiers', () => {
  const cleanups: (() => void | Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  });

  it('calls back once, after a quiet time, for files added or removed by hand (a tier created later included)', async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const dirs = tierDirs({ root: tmp.dir });
    mkdirSync(join(dirs.db, '2026', '03'), { recursive: true });
    const logged: string[] = [];
    const logger = pino(
      { level: 'debug' },
      {
        write: (s: string) => {
          logged.push(s);
        },
      },
    );
    let changes = 0;
    let ready = false;
    const watcher: TierWatcher = watchTiers({
      dirs,
      logger,
      debounceMs: 300,
      onChange: () => {
        changes++;
      },
    });
    cleanups.push(() => watcher.close());
    // chokidar needs a moment to set its watches up; a first real change tells us it is listening.
    await waitUntil('the watcher to be listening', () => {
      writeFileSync(join(dirs.db, '2026', '03', 'ticks_2026-03-01.db'), 'x');
      ready = logged.some((l) => l.includes('ticks_2026-03-01.db'));
      return ready;
    });
    await waitUntil('the first refresh', () => changes === 1);
    writeFileSync(join(dirs.db, '2026', '03', 'ticks_2026-03-02.db-wal'), 'wal');
    writeFileSync(join(dirs.db, 'rotation_metadata.json'), '{}');
    writeFileSync(join(dirs.db, 'audit.jsonl'), '');
    mkdirSync(join(dirs.archive, '2026', '01'), { recursive: true });
    writeFileSync(join(dirs.archive, '2026', '01', 'ticks_2026-01-02.db.zst'), 'z');
    writeFileSync(join(dirs.archive, '2026', '01', 'ticks_2026-01-03.db.zst'), 'z');
    await waitUntil('a second refresh for the archive files', () => changes >= 2);
    const events = logged.map((l) => JSON.parse(l) as { path?: string }).map((l) => l.path ?? '');
    expect(events.some((p) => p.endsWith('ticks_2026-01-03.db.zst'))).toBe(true);
    expect(events.filter((p) => /-wal$|rotation_metadata|audit\.jsonl/.test(p))).toEqual([]);
  });

  it("never follows a symlink in a tier: changes under its target are not the tier's", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const dirs = tierDirs({ root: join(tmp.dir, 'root') });
    const month = join(dirs.db, '2026', '03');
    mkdirSync(month, { recursive: true });
    const outside = join(tmp.dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(month, 'ticks_2026-03-05.db')); // a directory link named like a day (issue 15, 15a)
    const logged: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => logged.push(s) });
    const watcher = watchTiers({ dirs, logger, debounceMs: 50, onChange: () => undefined });
    cleanups.push(() => watcher.close());
    const paths = (): string[] => logged.map((l) => (JSON.parse(l) as { path?: string }).path ?? '');
    let n = 0;
    await waitUntil('the watcher to be listening', () => {
      writeFileSync(join(outside, `f${n}`), 'x'); // under the link's target: must never be seen
      writeFileSync(join(month, `ticks_2026-03-0${(n++ % 3) + 1}.db`), 'x');
      return paths().some((p) => p.startsWith(month) && /ticks_2026-03-0[123]\.db$/.test(p));
    });
    writeFileSync(join(outside, 'later'), 'x');
    writeFileSync(join(month, 'ticks_2026-03-04.db'), 'x'); // after the write under the target: a barrier
    await waitUntil('the barrier file', () => paths().some((p) => p.endsWith('ticks_2026-03-04.db')));
    expect(paths().filter((p) => p.startsWith(outside) || p.includes('ticks_2026-03-05.db/'))).toEqual([]);
  });
});
