import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli, tempDir } from '../helpers/cli.js';
import { runnableClock } from '../helpers/runnable-time.js';
import { until } from '../helpers/writer.js';

const NOW = '2026-03-12T06:00:00Z';
const DAY = '2026-03-11';
const SQL = 'SELECT count(*) AS n, sum(volume) AS volume FROM ticks WHERE symbol = :sym';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/**
 * Ctrl-C (SIGINT) and kill -9 in the middle of decompressing a day into the query cache. A day of ~40 MB takes
 * long enough to decompress that the test sees its `.tmp` appear and signals the query then.
 */
describe('tickdb query interrupted while it fills the cache', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let cacheDir: string;
  let configFile: string;
  const args = (out: string): string[] => [
    'query',
    SQL,
    '--param',
    'sym=AAPL',
    '--from',
    DAY,
    '--format',
    'csv',
    '-o',
    out,
    '--root',
    root,
    '--config',
    configFile,
    '--now',
    NOW,
  ];
  const tmpFiles = (): string[] => readdirSync(cacheDir).filter((f) => f.endsWith('.tmp'));
  const entryFiles = (): string[] => readdirSync(cacheDir).filter((f) => f.endsWith('.db'));

  beforeAll(() => {
    tmp = tempDir('tickdb-query-int-');
    root = join(tmp.dir, 'root');
    cacheDir = join(tmp.dir, 'cache');
    configFile = join(tmp.dir, 'config.json');
    const config = {
      compressAfterDays: 1,
      archiveAfterDays: 5,
      purgeAfterDays: 9,
      compressionLevel: 1,
      frameSizeMib: 4,
      queryCache: { dir: cacheDir },
    };
    writeFileSync(configFile, JSON.stringify(config));
    expect(
      runCli(['simulate', '--days', '1', '--rows', '500000', '--root', root, '--config', configFile, '--now', NOW])
        .code,
    ).toBe(0);
    const run = runCli(['run', '--once', '--root', root, '--config', configFile, '--now', NOW]);
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(root, 'db', '2026', '03', `ticks_${DAY}.db.zst`))).toBe(true);
  });
  afterAll(() => tmp?.cleanup());

  async function interrupt(
    signal: NodeJS.Signals,
    out: string,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawnCli(args(out));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    await until(
      () => existsSync(cacheDir) && tmpFiles().length > 0,
      'the .tmp of the cache entry',
      60_000,
      runnableClock(child.pid ?? -1),
    );
    child.kill(signal);
    return { ...(await exited), stderr };
  }

  it('Ctrl-C stops it with status 130 and leaves neither a partial cache entry nor a partial output', async () => {
    const out = join(tmp.dir, 'int.csv');
    const r = await interrupt('SIGINT', out);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain('interrupted by SIGINT');
    expect(tmpFiles()).toEqual([]);
    // Nothing under an entry's name unless it is whole (the decompression may have just been renamed into place).
    for (const f of entryFiles()) expect(sha256(join(cacheDir, f))).toBe(f.slice(0, 64));
    expect(readdirSync(tmp.dir).filter((f) => f.includes('int.csv'))).toEqual([]);
  });

  it('a kill -9 leaves a .tmp, which the next query removes before it reads the day', async () => {
    const out = join(tmp.dir, 'kill.csv');
    for (const f of readdirSync(cacheDir)) rmSync(join(cacheDir, f)); // a miss again, whatever the first test left
    const r = await interrupt('SIGKILL', out);
    expect(r.signal).toBe('SIGKILL');
    expect(tmpFiles().length).toBe(1);
    const again = runCli(args(out));
    expect(again.code, again.stderr).toBe(0);
    expect(tmpFiles()).toEqual([]);
    const entries = entryFiles();
    expect(entries.length).toBe(1);
    for (const f of entries) expect(sha256(join(cacheDir, f))).toBe(f.slice(0, 64));
    expect(readFileSync(out, 'utf8')).toMatch(/^day,n,volume\r\n2026-03-11,\d{4,},\d+\r\n$/);
  });
});
