import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, expectExit } from '../helpers/cli.js';
import { runCliPausedAt } from '../helpers/paused-cli.js';
import { needCeph } from '../helpers/rgw.js';
import { rgwForFile, s3Config } from '../helpers/rgw-file.js';
import { dayOffset } from '../helpers/s3-tree.js';

const HAVE_CEPH = needCeph('sqlite3');
const BUCKET = 'query-archive';
const SQL = 'SELECT ts, symbol, bid, ask, volume FROM ticks WHERE symbol = :sym ORDER BY ts, rowid';

function quote(db: string, sql: string): string {
  const r = spawnSync('sqlite3', ['-readonly', db], { input: `.mode quote\n${sql};\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** Days archived to a real Ceph RGW, only in the bucket: tickdb query fetches, verifies and caches them. */
describe.skipIf(!HAVE_CEPH)('tickdb query over the S3 archive tier (real Ceph RGW)', () => {
  const s3 = rgwForFile('tickdb-query-s3-', { [BUCKET]: false });
  const { root, config } = s3.next();
  const now = new Date().toISOString();
  const cli = (args: string[]) => runCli([...args, '--config', config, '--now', now], { env: s3.rgw.env });

  beforeAll(() => {
    const target = { endpoint: s3.rgw.endpoint, bucket: BUCKET, prefix: 'q/', objectLock: undefined };
    writeFileSync(config, s3Config(root, target, { queryCache: { dir: join(s3.dir, 'cache') } }));
    expectExit(cli(['simulate', '--days', '5', '--rows', '2000']));
    const run = cli(['run', '--once']);
    expect(run.code, run.stderr).toBe(0);
  });

  it('reads the days only in the bucket like the others, and from the cache once the gateway is down', () => {
    const days = JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')).days as Record<
      string,
      { state: string; remote?: unknown }
    >;
    const inBucket = [3, 4, 5].map(dayOffset);
    for (const day of inBucket) expect(days[`ticks/${day}`]?.remote, day).toBeDefined();
    const out = join(s3.dir, 'result.db');
    const args = ['query', SQL, '--param', 'sym=AAPL', '--from', dayOffset(5), '--to', dayOffset(1)];
    const r = cli([...args, '--format', 'sqlite', '-o', out, '--log-level', 'debug']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('"via":"decompressed into the cache (s3)"');
    for (const day of inBucket) {
      // The independent copy: tickdb decompress, which downloads and verifies the day itself.
      const copy = join(s3.dir, `copy-${day}.db`);
      expectExit(cli(['decompress', day, '-o', copy]));
      const expected = quote(copy, SQL.replace(':sym', "'AAPL'"));
      expect(expected.split('\n').length).toBeGreaterThan(20);
      expect(quote(out, `SELECT ts, symbol, bid, ask, volume FROM result WHERE day = '${day}' ORDER BY rowid`)).toBe(
        expected,
      );
    }
    s3.rgw.stopGateway();
    try {
      const cached = cli([...args, '--format', 'csv']);
      expect(cached.code, cached.stderr).toBe(0);
      expect(cached.stdout.split('\r\n').filter((l) => l.startsWith(dayOffset(4))).length).toBeGreaterThan(20);
    } finally {
      s3.rgw.startGateway();
    }
  });

  it("reads a day the agent uploads and deletes locally between the query's plan and its reads, from the bucket", async () => {
    const moving = s3.next();
    const target = { endpoint: s3.rgw.endpoint, bucket: BUCKET, prefix: 'moving/', objectLock: undefined };
    const policy = (archiveAfterDays: number) =>
      s3Config(moving.root, target, {
        archiveAfterDays,
        purgeAfterDays: 40,
        queryCache: { dir: join(s3.dir, 'moving-cache') },
      });
    const run = (args: string[]) => runCli([...args, '--config', moving.config, '--now', now], { env: s3.rgw.env });
    writeFileSync(moving.config, policy(30)); // nothing archived yet: days 2+ compressed in db/
    expect(run(['simulate', '--days', '5', '--rows', '2000']).code).toBe(0);
    expect(run(['run', '--once']).code).toBe(0);
    const args = ['query', SQL, '--param', 'sym=AAPL', '--from', dayOffset(5), '--to', dayOffset(1), '--format', 'csv'];
    const before = run(args);
    expect(before.code, before.stderr).toBe(0);
    rmSync(join(s3.dir, 'moving-cache'), { recursive: true, force: true });
    writeFileSync(moving.config, policy(3)); // now days 3+ go to the bucket, and their local copies away
    const { result, meanwhile: archived } = await runCliPausedAt(
      'query:after-plan',
      [...args, '--config', moving.config, '--now', now, '--log-level', 'debug'],
      s3.rgw.env,
      () => run(['run', '--once']),
    );
    expect(archived.code, archived.stderr).toBe(0);
    for (const day of [3, 4, 5].map(dayOffset))
      expect(existsSync(join(moving.root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db.zst`)), day).toBe(
        false,
      );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(before.stdout);
    expect(
      result.stderr.match(/moved to s3:\/\/[^ ]+ while the query ran: decompressed into the cache \(s3\)/g),
    ).toHaveLength(3);
  });
});
