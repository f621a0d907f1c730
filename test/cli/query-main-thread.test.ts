import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needProgram } from '../helpers/external-programs.js';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';
import { simulatedTree } from '../helpers/tree.js';

const NOW = '2026-03-12T06:00:00Z';
const FROM = '2026-03-07';
const TO = '2026-03-11';
const SQL = 'SELECT ts, symbol, bid, volume FROM ticks WHERE symbol = :sym ORDER BY ts';

interface DayDone {
  day: string;
  rows: number;
  via: string;
  thread: 'main' | 'worker';
}

/** The days as the query's debug log reports them (which thread ran each, and how its database was obtained). */
function daysOf(stderr: string): DayDone[] {
  for (const line of stderr.split('\n')) {
    if (!line.includes('"query days"')) continue;
    return (JSON.parse(line) as { days: DayDone[] }).days;
  }
  throw new Error(`no "query days" line in: ${stderr}`);
}

/**
 * Days that need no decompression (a sealed .db, a verified cache entry) run on the main thread, since starting the
 * worker threads costs more than an indexed query over a month (DESIGN 14); workers take over when the pace says
 * they pay for their start, and every day goes to a worker when one needs decompressing. Same rows every way.
 */
describe.skipIf(!needProgram('zstd'))('tickdb query on the main thread', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let configFile: string;
  const query = (extra: string[], env: Record<string, string> = {}) =>
    runCli(
      [
        'query',
        SQL,
        '--param',
        'sym=AAPL',
        '--from',
        FROM,
        '--to',
        TO,
        '--format',
        'csv',
        '--root',
        root,
        '--config',
        configFile,
        '--now',
        NOW,
        '--log-level',
        'debug',
        ...extra,
      ],
      { env },
    );

  beforeAll(() => {
    tmp = tempDir('tickdb-query-main-');
    // Ages 1-2 sealed .db, 3-5 .db.zst.
    const config = { compressAfterDays: 3, archiveAfterDays: 30, purgeAfterDays: 60, compressionLevel: 1 };
    ({ root, configFile } = simulatedTree(
      tmp.dir,
      { ...config, queryCache: { dir: join(tmp.dir, 'cache') } },
      { days: 6, rows: 20_000, now: NOW },
    ));
  });
  afterAll(() => tmp?.cleanup());

  it('uses workers while a day needs decompressing, then the main thread once every day is cached: same rows', () => {
    const first = query([]);
    expect(first.code, first.stderr).toBe(0);
    const firstDays = daysOf(first.stderr);
    expect(firstDays.map((d) => d.day)).toEqual(['2026-03-07', '2026-03-08', '2026-03-09', '2026-03-10', '2026-03-11']);
    expect(firstDays.map((d) => d.thread)).toEqual(Array(5).fill('worker'));
    expect(firstDays.filter((d) => d.via.startsWith('decompressed into the cache')).length).toBe(3);

    // A start cost no pace can exceed: on a loaded host the default (100 ms) may hand days to workers, rightly.
    const cached = query([], { TICKDB_QUERY_WORKER_START_MS: '60000' });
    expect(cached.code, cached.stderr).toBe(0);
    const cachedDays = daysOf(cached.stderr);
    expect(cachedDays.map((d) => d.thread)).toEqual(Array(5).fill('main'));
    expect(cachedDays.map((d) => d.via)).toEqual(['cache', 'cache', 'cache', 'sealed .db', 'sealed .db']);
    expect(cached.stdout).toBe(first.stdout);
    expect(cached.stdout.split('\r\n').length).toBeGreaterThan(1000);

    const onWorkers = query([], { TICKDB_QUERY_WORKER_START_MS: '0' });
    expect(onWorkers.code, onWorkers.stderr).toBe(0);
    expect(daysOf(onWorkers.stderr).map((d) => d.thread)).toEqual(Array(5).fill('worker'));
    expect(onWorkers.stdout).toBe(first.stdout);
  });

  it('hands the remaining days to workers when the main thread is slower than their start', () => {
    const reference = query([], { TICKDB_QUERY_WORKER_START_MS: '0' });
    const r = query([], { TICKDB_QUERY_WORKER_START_MS: '0.001' });
    expect(r.code, r.stderr).toBe(0);
    expect(daysOf(r.stderr).map((d) => d.thread)).toEqual(['main', 'worker', 'worker', 'worker', 'worker']);
    expect(r.stdout).toBe(reference.stdout);
  });

  it.each([
    ['on the main thread', '100'],
    ['on a worker', '0'],
  ])(
    'stops on Ctrl-C while a day %s waits for a reader that stopped reading',
    async (_where, startMs) => {
      const child = spawnCli(
        [
          'query',
          'SELECT * FROM ticks',
          '--from',
          FROM,
          '--to',
          TO,
          '--format',
          'csv',
          '--root',
          root,
          '--config',
          configFile,
          '--now',
          NOW,
        ],
        { env: { TICKDB_QUERY_WORKER_START_MS: startMs } },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<{ code: number | null }>((resolve) => child.on('exit', (code) => resolve({ code })));
      // The first chunk of rows arrives, then nobody reads: the pipe fills and the day waits for its credits.
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.pause();
      child.kill('SIGINT');
      const { code } = await exited;
      expect(code, stderr).toBe(130);
      expect(stderr).toContain('interrupted by SIGINT');
    },
    30_000,
  );
});
