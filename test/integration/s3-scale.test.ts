import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, runCliAsync, expectExit } from '../helpers/cli.js';
import { needCeph } from '../helpers/rgw.js';
import { rgwForFile, s3Config } from '../helpers/rgw-file.js';
import { rowsDigest } from '../helpers/tree.js';
import { dayOffset, fileSha256, legacyZstDay, metadataDays, objectSha, zstPath } from '../helpers/s3-tree.js';

/**
 * Issue 17 at scale against a real Ceph RGW: a 200 MiB day through multipart upload and back, and the "done when"
 * of the issue: a 60-day tree converges with an S3 archive target (archived days only in the bucket, locked until
 * their purge date, hashes and retention recorded) and every row reads back through `tickdb decompress`.
 */
const BUCKET = 'ticks-archive';
const HAVE_CEPH = needCeph('sqlite3', 'zstd');
const DAYS = 60;
const PURGE_AFTER = 90;

describe.skipIf(!HAVE_CEPH)('S3 archive at scale on a real Ceph RGW (DESIGN 12)', () => {
  const s3 = rgwForFile('tickdb-s3-scale-', { [BUCKET]: true });

  function setup(name: string, target: Record<string, unknown> = {}) {
    const root = join(s3.dir, name);
    const config = join(s3.dir, `${name}.json`);
    const prefix = `${name}/`;
    const policy = { purgeAfterDays: PURGE_AFTER };
    writeFileSync(config, s3Config(root, { endpoint: s3.rgw.endpoint, bucket: BUCKET, prefix, ...target }, policy));
    const now = new Date().toISOString();
    const args = (a: string[]) => [...a, '--config', config, '--log-level', 'warn', '--now', now];
    return {
      root,
      prefix,
      cli: (a: string[]) => runCli(args(a), { env: s3.rgw.env }),
      cliAsync: (a: string[]) => runCliAsync(args(a), { env: s3.rgw.env }),
    };
  }

  it('a 200 MiB day: multipart upload, read back, and decompressed to the same bytes', async () => {
    const { root, cli } = setup('big');
    const day = dayOffset(5);
    const { zst, dbSha256 } = await legacyZstDay(root, day, 200);
    const zstSha = await fileSha256(zst);
    const started = Date.now();
    const run = cli(['run', '--once', '--json']);
    const seconds = (Date.now() - started) / 1000;
    expect(run.code, run.stderr).toBe(0);
    const rec = metadataDays(root)[`ticks/${day}`];
    expect(rec?.state).toBe('archived');
    const remote = rec?.remote;
    expect(remote?.bytes).toBeGreaterThan(200 * 1024 * 1024);
    console.info(`200 MiB day: run --once (verify, upload, read back) ${seconds.toFixed(1)} s, ETag ${remote?.etag}`);
    // A multipart upload: RGW's ETag of the completed object is MD5-of-parts "-" count (16 MiB parts: 13).
    expect(remote?.etag).toMatch(/-13$/);
    expect(rec?.zstSha256).toBe(zstSha);
    expect(await objectSha(s3.rgw, BUCKET, remote?.key ?? '', remote?.versionId ?? '')).toEqual({
      sha256: zstSha,
      bytes: rec?.zstBytes,
    });
    expect(existsSync(zst)).toBe(false);
    const out = join(s3.dir, 'big-out.db');
    const dec = cli(['decompress', day, '-o', out, '--json']);
    expect(dec.code, dec.stderr).toBe(0);
    expect(parseJson<{ source: string }>(dec.stdout).source).toContain(`s3://${BUCKET}/`);
    expect(await fileSha256(out)).toBe(dbSha256);
  });

  it(`${DAYS} days converge: archived days only in the bucket, locked and recorded, every row readable`, async () => {
    const { root, prefix, cli, cliAsync } = setup('sixty');
    expectExit(cli(['simulate', '--days', String(DAYS), '--rows', '300']));
    // The source: every row of every day, as the writer left it.
    const source = new Map<string, { rows: number; digest: string }>();
    for (let age = 1; age <= DAYS; age++) {
      const day = dayOffset(age);
      source.set(day, rowsDigest(join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`)));
    }
    const run = cli(['run', '--once', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const uploads = parseJson<{ results: Array<{ step: { kind: string } }> }>(run.stdout).results.filter(
      (r) => r.step.kind === 'upload',
    );
    expect(uploads).toHaveLength(DAYS - 2);
    // Converged: a second run finds nothing left to do.
    const again = cli(['run', '--once', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJson<{ results: unknown[] }>(again.stdout).results).toEqual([]);

    const days = metadataDays(root);
    const listed = await s3.rgw.client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: prefix }));
    expect(listed.IsTruncated ?? false).toBe(false);
    const versions = new Map((listed.Versions ?? []).map((v) => [v.Key, v.VersionId]));
    expect(listed.Versions).toHaveLength(DAYS - 2);
    for (let age = 3; age <= DAYS; age++) {
      const day = dayOffset(age);
      const rec = days[`ticks/${day}`];
      expect(rec?.state, day).toBe('archived');
      const remote = rec?.remote;
      expect(remote?.sha256, day).toBe(rec?.zstSha256);
      expect(versions.get(remote?.key), day).toBe(remote?.versionId);
      const retainUntil = new Date(Date.parse(`${day}T00:00:00Z`) + PURGE_AFTER * 86_400_000).toISOString();
      expect(remote?.retainUntil, day).toBe(retainUntil);
      const head = await s3.rgw.client.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: remote?.key, VersionId: remote?.versionId }),
      );
      expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate?.toISOString()], day).toEqual([
        'COMPLIANCE',
        retainUntil,
      ]);
      expect(head.ContentLength, day).toBe(rec?.zstBytes);
      for (const tier of ['db', 'archive']) expect(existsSync(zstPath(root, tier, day)), `${tier} ${day}`).toBe(false);
      expect(rec?.rows, day).toBe(source.get(day)?.rows);
    }
    for (const age of [1, 2]) expect(days[`ticks/${dayOffset(age)}`]?.remote).toBeUndefined();

    // Every row of every day: through tickdb decompress (from the bucket for the archived days), 3 at a time;
    // yesterday, sealed and not compressed yet, from its database.
    const sealed = join(root, 'db', dayOffset(1).slice(0, 4), dayOffset(1).slice(5, 7), `ticks_${dayOffset(1)}.db`);
    expect(rowsDigest(sealed)).toEqual(source.get(dayOffset(1)));
    const queue = [...source.keys()].filter((d) => d !== dayOffset(1));
    let read = 0;
    const worker = async (): Promise<void> => {
      for (let day = queue.shift(); day !== undefined; day = queue.shift()) {
        const out = join(s3.dir, `sixty-${day}.db`);
        const dec = await cliAsync(['decompress', day, '-o', out]);
        expect(dec.code, `${day}: ${dec.stderr}`).toBe(0);
        expect(rowsDigest(out), day).toEqual(source.get(day));
        read += 1;
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(read).toBe(DAYS - 1);
  });
});
