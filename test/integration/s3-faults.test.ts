import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCliAsync } from '../helpers/cli.js';
import { needCeph } from '../helpers/rgw.js';
import { rgwForFile, s3Config } from '../helpers/rgw-file.js';
import { FaultProxy } from '../helpers/s3-fault-proxy.js';
import { dayOffset, fileSha256, legacyZstDay, metadataDays, objectSha, zstPath } from '../helpers/s3-tree.js';

/**
 * Faults between tickdb and a real Ceph RGW (issue 17 item 4): a proxy in the test answers 503 to, or drops the
 * connection of, chosen requests. Transient faults are retried by the SDK (backoff with jitter) and the upload
 * succeeds; persistent ones leave the day in its local tier (backlog: warned, counted, uploaded later), never lost.
 */
const BUCKET = 'ticks-archive';
const HAVE_CEPH = needCeph('sqlite3', 'zstd');

type RunDoc = {
  results: Array<{ step: { kind: string; day: string }; outcome: { status: string; message?: string } }>;
};

describe.skipIf(!HAVE_CEPH)('S3 faults on the way to a real Ceph RGW (DESIGN 12)', () => {
  const s3 = rgwForFile('tickdb-s3-faults-', { [BUCKET]: true });
  let proxy: FaultProxy;

  beforeAll(async () => {
    proxy = await FaultProxy.start(s3.rgw.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
  });

  function setup(target: Record<string, unknown> = {}) {
    const { n, root, config } = s3.next();
    const prefix = `run${n}/`;
    const policy = { purgeAfterDays: 30 };
    const faulty = { endpoint: proxy.endpoint, bucket: BUCKET, prefix, partSizeMib: 5, queueSize: 1 };
    writeFileSync(config, s3Config(root, { ...faulty, ...target }, policy));
    const cli = (args: string[]) =>
      runCliAsync([...args, '--config', config, '--log-level', 'warn', '--now', new Date().toISOString()], {
        env: s3.rgw.env,
      });
    return { root, prefix, cli };
  }

  /** Requests for one day's object under one run's prefix (its PUT, or its multipart upload's POSTs and parts). */
  const forDay = (prefix: string, day: string) => (r: { method: string; url: string }) =>
    r.url.includes(`/${BUCKET}/${prefix}ticks/${day.slice(0, 4)}/${day.slice(5, 7)}/ticks_${day}.db.zst`);
  /** The PutObject of a day (the SDK adds `?x-id=PutObject`), not a part, a retention or a legal hold. */
  const putObject = (prefix: string, day: string) => (r: { method: string; url: string }) =>
    r.method === 'PUT' && forDay(prefix, day)(r) && !/[?&](partNumber|uploadId|retention|legal-hold)\b/.test(r.url);

  /** The day's record, archived, and its stored object version holding exactly the `.zst` of SHA-256 `sha`. */
  async function expectArchived(root: string, day: string, sha: string) {
    const rec = metadataDays(root)[`ticks/${day}`];
    expect(rec?.state).toBe('archived');
    const remote = rec?.remote;
    expect(await objectSha(s3.rgw, BUCKET, remote?.key ?? '', remote?.versionId ?? '')).toEqual({
      sha256: sha,
      bytes: rec?.zstBytes,
    });
    return rec;
  }

  it('503 on the first PUTs of an object: retried with backoff, then stored and verified', async () => {
    const { root, prefix, cli } = setup({ maxAttempts: 5 });
    const day = dayOffset(4);
    const { zst } = await legacyZstDay(root, day, 1);
    const sha = await fileSha256(zst);
    const isPut = putObject(prefix, day);
    proxy.set([{ match: isPut, action: '503', times: 3 }]);
    const r = await cli(['run', '--once', '--json']);
    proxy.set([]);
    expect(r.code, r.stderr).toBe(0);
    // Three 503s, then the fourth attempt went through to the server.
    expect(proxy.count((s) => isPut(s) && s.outcome === 503)).toBe(3);
    expect(proxy.count((s) => isPut(s) && s.outcome === 200)).toBe(1);
    // The body's MD5 goes with it (s3-client.ts), so the server refuses bytes damaged on the way.
    expect(proxy.seen.filter((s) => isPut(s) && s.outcome === 200).map((s) => s.contentMd5)).toEqual([
      expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/),
    ]);
    const rec = await expectArchived(root, day, sha);
    expect(rec?.zstSha256).toBe(sha);
    expect(existsSync(zst)).toBe(false);
    const prom = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
    expect(prom).toMatch(/^tickdb_archive_upload_failures_total 0$/m);
  });

  it('connections dropped during a multipart upload: the parts are sent again, the object is whole', async () => {
    const { root, prefix, cli } = setup({ maxAttempts: 5 });
    const day = dayOffset(5);
    const { zst } = await legacyZstDay(root, day, 12); // 3 parts of 5 MiB
    const sha = await fileSha256(zst);
    const isPart = (r: { method: string; url: string }) =>
      r.method === 'PUT' && forDay(prefix, day)(r) && r.url.includes('partNumber=');
    proxy.set([{ match: isPart, action: 'drop', times: 2 }]);
    const r = await cli(['run', '--once', '--json']);
    proxy.set([]);
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.count((s) => isPart(s) && s.outcome === 'dropped')).toBe(2);
    expect(proxy.count((s) => isPart(s) && s.outcome === 200)).toBeGreaterThanOrEqual(3);
    for (const part of proxy.seen.filter((s) => isPart(s) && s.outcome === 200))
      expect(part.contentMd5, part.url).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const remote = (await expectArchived(root, day, sha))?.remote;
    expect(remote?.bytes).toBeGreaterThan(12 * 1024 * 1024);
    const left = await s3.rgw.client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }));
    expect(left.Uploads?.some((u) => u.Key === remote?.key) ?? false).toBe(false);
  });

  it('bytes damaged on the way back (a byte flipped in the read-back): the run fails loudly, the copy stays', async () => {
    const { root, prefix, cli } = setup();
    const day = dayOffset(4);
    const { zst } = await legacyZstDay(root, day, 1);
    const sha = await fileSha256(zst);
    const isGet = (r: { method: string; url: string }) => r.method === 'GET' && forDay(prefix, day)(r);
    proxy.set([{ match: isGet, action: 'corrupt', times: Number.POSITIVE_INFINITY }]);
    const r = await cli(['run', '--once']);
    proxy.set([]);
    expect(r.code).toBe(1);
    expect(proxy.count(isGet)).toBeGreaterThan(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /read back as \d+ bytes with SHA-256 [0-9a-f]{64}, not [0-9a-f]{64}; local copy kept/,
    );
    expect(await fileSha256(zst)).toBe(sha);
    const rec = metadataDays(root)[`ticks/${day}`];
    expect(rec?.state).not.toBe('archived');
    expect(rec?.remote).toBeUndefined();
    // Read back whole, the next run records the version it finds and lets the local copy go.
    const again = await cli(['run', '--once']);
    expect(again.code, again.stderr).toBe(0);
    await expectArchived(root, day, sha);
    expect(existsSync(zst)).toBe(false);
  });

  it('a server that stops answering (no reply to a PUT): the request times out and is sent again', async () => {
    const { root, prefix, cli } = setup({ maxAttempts: 4, requestTimeoutSeconds: 2 });
    const day = dayOffset(4);
    const { zst } = await legacyZstDay(root, day, 1);
    const sha = await fileSha256(zst);
    const isPut = putObject(prefix, day);
    proxy.set([{ match: isPut, action: 'stall', times: 2 }]);
    const r = await cli(['run', '--once', '--json']);
    proxy.set([]);
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.count((s) => isPut(s) && s.outcome === 'stalled')).toBe(2);
    expect(proxy.count((s) => isPut(s) && s.outcome === 200)).toBe(1);
    await expectArchived(root, day, sha);
  });

  it('503 that persists: maxAttempts tries, then a backlog (loud, counted), the local copy intact; uploaded once it heals', async () => {
    const { root, prefix, cli } = setup({ maxAttempts: 3 });
    const day = dayOffset(5);
    const { zst } = await legacyZstDay(root, day, 1);
    const sha = await fileSha256(zst);
    const isPut = putObject(prefix, day);
    proxy.set([{ match: isPut, action: '503', times: Number.POSITIVE_INFINITY }]);
    const r = await cli(['run', '--once', '--json']);
    proxy.set([]);
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.count((s) => isPut(s) && s.outcome === 503)).toBe(3);
    const upload = parseJson<RunDoc>(r.stdout).results.find((x) => x.step.kind === 'upload' && x.step.day === day);
    expect(upload?.outcome.status).toBe('backlog');
    expect(upload?.outcome.message).toMatch(/kept in its local tier/);
    expect(r.stderr).toMatch(new RegExp(`bucket ${BUCKET}.*(503|SlowDown)`));
    // Nothing lost: the verified local copy is where the archive step put it, with the recorded hash.
    const rec = metadataDays(root)[`ticks/${day}`];
    expect(rec?.remote).toBeUndefined();
    const local = [zstPath(root, 'db', day), zstPath(root, 'archive', day)].filter((p) => existsSync(p));
    expect(local).toHaveLength(1);
    expect(await fileSha256(local[0] ?? '')).toBe(sha);
    expect(rec?.zstSha256).toBe(sha);
    const prom = readFileSync(join(root, 'metrics', 'tickdb.prom'), 'utf8');
    expect(Number(/^tickdb_archive_upload_failures_total (\d+)$/m.exec(prom)?.[1])).toBeGreaterThanOrEqual(1);
    expect(prom).toMatch(/^tickdb_archive_backlog 1$/m);
    type Status = { checks: Array<{ name: string; status: string; message: string }> };
    const st = parseJson<Status>((await cli(['status', '--json'])).stdout);
    expect(st.checks.find((c) => c.name === 'archive')).toMatchObject({ status: 'WARNING' });

    const healed = await cli(['run', '--once']);
    expect(healed.code, healed.stderr).toBe(0);
    const after = metadataDays(root)[`ticks/${day}`];
    expect(after?.remote?.sha256).toBe(sha);
    expect(local.some((p) => existsSync(p))).toBe(false);
  });

  it('keepLocalCopy: the object is stored and verified, the local copy stays, and the next run leaves both', async () => {
    const { root, cli } = setup({ keepLocalCopy: true });
    const day = dayOffset(4);
    const { zst } = await legacyZstDay(root, day, 1);
    const sha = await fileSha256(zst);
    const r = await cli(['run', '--once', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const remote = (await expectArchived(root, day, sha))?.remote;
    const head = await s3.rgw.client.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: remote?.key, VersionId: remote?.versionId }),
    );
    expect(head.ObjectLockMode).toBe('COMPLIANCE');
    const local = [zstPath(root, 'db', day), zstPath(root, 'archive', day)].filter((p) => existsSync(p));
    expect(local).toHaveLength(1);
    expect(await fileSha256(local[0] ?? '')).toBe(sha);
    const again = await cli(['run', '--once', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(parseJson<RunDoc>(again.stdout).results.filter((x) => x.step.kind === 'upload')).toEqual([]);
    expect(existsSync(local[0] ?? '')).toBe(true);
    expect(metadataDays(root)[`ticks/${day}`]?.remote?.versionId).toBe(remote?.versionId);
  });
});
