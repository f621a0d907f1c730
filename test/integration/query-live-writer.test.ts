import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { WriterProcess } from '../helpers/writer.js';

const NOW = '2026-03-12T06:00:00Z';
const TODAY = '2026-03-12';

/**
 * Scans of today's live database beside a writer inserting 500 ticks a second (one autocommit transaction each):
 * no insert fails, every scan succeeds and sees every row committed before it started. The writer's waits are
 * measured by `npm run bench` (query section), against the writer alone in the same run, not asserted here.
 */
describe('tickdb query on today, beside the writer', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let configFile: string;
  let today: string;

  beforeAll(() => {
    tmp = tempDir('tickdb-query-live-');
    root = join(tmp.dir, 'root');
    configFile = join(tmp.dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ queryCache: { dir: join(tmp.dir, 'cache') } }));
    const run = runCli(['run', '--once', '--root', root, '--config', configFile, '--now', NOW]);
    expect(run.code, run.stderr).toBe(0);
    today = join(root, 'db', '2026', '03', `ticks_${TODAY}.db`);
    const db = new Database(today);
    const insert = db.prepare(
      "INSERT INTO ticks (ts, symbol, bid, ask, bid_size, ask_size, last, volume) VALUES (?, 'MSFT', 1, 2, 3, 4, 5, 6)",
    );
    db.transaction(() => {
      for (let i = 0; i < 200_000; i++) insert.run(BigInt(i));
    })();
    db.close();
  });
  afterAll(() => tmp?.cleanup());

  it('scans while the writer inserts: no failed insert, every committed row seen', async () => {
    const scan = (): bigint => {
      const r = runCli([
        'query',
        'SELECT count(*) AS n, sum(volume) AS v FROM ticks',
        '--from',
        TODAY,
        '--format',
        'csv',
        '--root',
        root,
        '--config',
        configFile,
        '--now',
        NOW,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const [, n] = (r.stdout.split('\r\n')[1] ?? '').split(',');
      return BigInt(n ?? '-1');
    };
    const writer = new WriterProcess(today, 500);
    await writer.waitFor('ready');
    const counts: bigint[] = [];
    for (let i = 0; i < 5; i++) counts.push(scan());
    const report = await writer.stop();
    expect(report.failures).toBe(0);
    expect(report.inserts).toBeGreaterThan(0);
    expect(counts[0]).toBeGreaterThanOrEqual(200_000n);
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThanOrEqual(counts[i - 1] ?? 0n);
    expect(scan()).toBe(200_000n + BigInt(report.committed[today] ?? -1));
  });
});
