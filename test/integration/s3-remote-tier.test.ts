import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, PutObjectLegalHoldCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, expectExit } from '../helpers/cli.js';
import { needCeph } from '../helpers/rgw.js';
import { rgwForFile, s3Config } from '../helpers/rgw-file.js';
import { dayOffset, metadataDays } from '../helpers/s3-tree.js';
import type { DayRecord, RemoteRecord } from '../../src/store/metadata-types.js';

/** Every command on a day whose only copy is in the S3 archive, and a metadata rebuild that recovers it (DESIGN 12). */

type Remote = RemoteRecord;
type Rec = DayRecord;

const LOCKED = 'remote-tier';
const PLAIN = 'remote-plain';
const HAVE_CEPH = needCeph('sqlite3', 'zstd');

const metaPath = (root: string): string => join(root, 'db', 'rotation_metadata.json');
const metadata = metadataDays;
/** Rewrites one day's record in the metadata file (a stale or damaged record, as verify must catch it). */
function patchRecord(root: string, day: string, f: (r: Rec) => void): void {
  const doc = JSON.parse(readFileSync(metaPath(root), 'utf8')) as { days: Record<string, Rec> };
  const rec = doc.days[`ticks/${day}`];
  if (rec === undefined) throw new Error(`no record of ${day}`);
  f(rec);
  writeFileSync(metaPath(root), JSON.stringify(doc));
}

interface Problem {
  key: string;
  kind: string;
  path: string;
  expected: string;
  found: string;
}
interface VerifyOut {
  ok: boolean;
  checkedObjects?: number;
  checkedBytes: number;
  problems: Problem[];
}

describe.skipIf(!HAVE_CEPH)('the S3 archive tier in every command, and in a metadata rebuild (DESIGN 12)', () => {
  const s3 = rgwForFile('tickdb-s3r-', { [LOCKED]: true, [PLAIN]: false });

  /** A tree of `days` simulated days, run once: the days of age >= 3 are only in the bucket. */
  function archivedTree(days: number, target: Record<string, unknown> = {}) {
    const { n, root, config } = s3.next();
    writeFileSync(
      config,
      s3Config(root, { endpoint: s3.rgw.endpoint, bucket: LOCKED, prefix: `{host}/run${n}/`, ...target }),
    );
    const cli = (args: string[]) =>
      runCli([...args, '--config', config, '--log-level', 'warn'], { env: { ...s3.rgw.env } });
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', String(days), '--rows', '1500', '--now', now]));
    const run = cli(['run', '--once', '--now', now]);
    expect(run.code, run.stderr).toBe(0);
    return { n, root, config, cli, now };
  }

  it('verify --rebuild recovers each remote day from the bucket: key, version, ETag, size, retention, hashes', async () => {
    const { n, root, cli, now } = archivedTree(6);
    const before = metadata(root);
    const remoteDays = [3, 4, 5, 6].map(dayOffset);
    for (const d of remoteDays) expect(before[`ticks/${d}`]?.remote?.versionId).toBeDefined();
    // A legal hold set on the server (as the config's hold would) is recovered too.
    const held = before[`ticks/${remoteDays[0]}`]?.remote as Remote;
    await s3.rgw.client.send(
      new PutObjectLegalHoldCommand({
        Bucket: LOCKED,
        Key: held.key,
        VersionId: held.versionId,
        LegalHold: { Status: 'ON' },
      }),
    );

    // An intact metadata file rebuilt: the days only in the bucket stay.
    const again = cli(['verify', '--rebuild', '--json']);
    expect(again.code, again.stderr).toBe(0);
    for (const d of remoteDays)
      expect(metadata(root)[`ticks/${d}`]?.remote?.versionId).toBe(before[`ticks/${d}`]?.remote?.versionId);

    // The metadata file lost: everything the bucket knows comes back.
    rmSync(metaPath(root));
    const r = cli(['verify', '--rebuild', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const after = metadata(root);
    for (const d of remoteDays) {
      const was = before[`ticks/${d}`] as Rec;
      const now_ = after[`ticks/${d}`] as Rec;
      expect(now_.state).toBe('archived');
      const {
        uploadedAt: _u,
        verifiedAt: _v,
        legalHold: _l,
        ...wasRemote
      } = was.remote as Remote & {
        uploadedAt: string;
        verifiedAt: string;
      };
      expect(now_.remote).toMatchObject(wasRemote);
      expect(now_.remote?.recovered?.sha256From).toBe('object-metadata');
      expect(now_.remote?.legalHold ?? false).toBe(d === remoteDays[0]);
      // The .zst's and the sealed database's identity, stored with the object, come back too.
      expect([now_.zstSha256, now_.zstBytes, now_.sha256, now_.bytes, now_.rows]).toEqual([
        was.zstSha256,
        was.zstBytes,
        was.sha256,
        was.bytes,
        was.rows,
      ]);
    }
    const summary = parseJson<{ remote: { recovered: string[]; hashed: string[] } }>(r.stdout);
    expect(summary.remote.recovered.sort()).toEqual(remoteDays.map((d) => `ticks/${d}`).sort());
    expect(summary.remote.hashed).toEqual([]);
    // The recovered record serves at once: decompress verifies against the recovered hashes.
    const out = join(s3.dir, `rebuilt-${n}.db`);
    const dec = cli(['decompress', remoteDays[1] as string, '-o', out, '--json']);
    expect(dec.code, dec.stderr).toBe(0);
    expect(parseJson<{ verifiedBy: string }>(dec.stdout).verifiedBy).toBe('recorded SHA-256');
    // And the next run has nothing to upload again.
    const next = cli(['run', '--once', '--json', '--now', now]);
    expect(next.code, next.stderr).toBe(0);
    const uploads = parseJson<{ results: Array<{ step: { kind: string } }> }>(next.stdout).results.filter(
      (x) => x.step.kind === 'upload',
    );
    expect(uploads).toEqual([]);
  });

  it("the agent, finding its metadata file unusable, rebuilds it with the bucket's days", () => {
    const { root, cli, now } = archivedTree(5);
    const before = metadata(root);
    writeFileSync(metaPath(root), '{ not json');
    const r = cli(['run', '--once', '--json', '--now', now]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/recovered 3 day record\(s\) from the S3 archive/);
    const after = metadata(root);
    for (const day of [3, 4, 5].map(dayOffset)) {
      expect(after[`ticks/${day}`]?.state).toBe('archived');
      expect(after[`ticks/${day}`]?.remote?.versionId).toBe(before[`ticks/${day}`]?.remote?.versionId);
      expect(after[`ticks/${day}`]?.sha256).toBe(before[`ticks/${day}`]?.sha256);
    }
    const uploads = parseJson<{ results: Array<{ step: { kind: string } }> }>(r.stdout).results.filter(
      (x) => x.step.kind === 'upload',
    );
    expect(uploads).toEqual([]);
  });

  it('an object stored without its SHA-256 (not uploaded by tickdb) is read back and hashed by the rebuild', async () => {
    const { root, cli } = archivedTree(3);
    const day = dayOffset(8);
    const stored = metadata(root)[`ticks/${dayOffset(3)}`]?.remote?.key ?? '';
    const key = `${stored.split('/ticks/')[0]}/ticks/${day.slice(0, 4)}/${day.slice(5, 7)}/ticks_${day}.db.zst`;
    const body = Buffer.from('not really zstd, but bytes all the same');
    await s3.rgw.client.send(new PutObjectCommand({ Bucket: LOCKED, Key: key, Body: body }));
    rmSync(metaPath(root));
    const r = cli(['verify', '--rebuild', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<{ remote: { hashed: string[] } }>(r.stdout).remote.hashed).toEqual([`ticks/${day}`]);
    const rec = metadata(root)[`ticks/${day}`];
    expect(rec?.remote?.recovered?.sha256From).toBe('read-back');
    expect(rec?.remote?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(rec?.zstBytes).toBe(body.length);
    expect(rec?.sha256).toBeUndefined();
  });

  it('a bucket that cannot be listed fails the rebuild (exit 1) and writes nothing', () => {
    const { root, config } = archivedTree(4);
    const doc = readFileSync(metaPath(root), 'utf8');
    const r = runCli(['verify', '--rebuild', '--config', config, '--log-level', 'warn'], {
      env: { ...s3.rgw.env, AWS_SECRET_ACCESS_KEY: 'wrong' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bucket ${LOCKED}`);
    expect(r.stderr).toContain('not rebuilt');
    expect(readFileSync(metaPath(root), 'utf8')).toBe(doc);
    expect(existsSync(metaPath(root))).toBe(true);
  });

  it('verify checks every remote object by HEAD (size, ETag, retention, legal hold); --deep downloads and hashes it', () => {
    const { root, cli } = archivedTree(5);
    const remoteDays = [3, 4, 5].map(dayOffset);
    const ok = cli(['verify', '--json']);
    expect(ok.code, ok.stdout).toBe(0);
    expect(parseJson<VerifyOut>(ok.stdout).checkedObjects).toBe(3);
    const deep = cli(['verify', '--deep', '--json']);
    expect(deep.code, deep.stdout).toBe(0);
    const d = parseJson<VerifyOut>(deep.stdout);
    expect(d.checkedObjects).toBe(3);
    const recs = metadata(root);
    const remoteBytes = remoteDays.reduce((sum, day) => sum + (recs[`ticks/${day}`]?.remote?.bytes ?? 0), 0);
    expect(d.checkedBytes).toBeGreaterThanOrEqual(remoteBytes);

    // Records that no longer match the bucket: each mismatch is named, exit 1.
    const [a, b, c] = remoteDays as [string, string, string];
    const later = new Date(Date.parse(recs[`ticks/${a}`]?.remote?.retainUntil ?? '') + 86_400_000).toISOString();
    patchRecord(root, a, (r) => {
      (r.remote as Remote).retainUntil = later;
    });
    patchRecord(root, b, (r) => {
      (r.remote as Remote).legalHold = true;
      (r.remote as Remote).etag = '0123456789abcdef0123456789abcdef';
    });
    patchRecord(root, c, (r) => {
      (r.remote as Remote).versionId = 'no-such-version';
    });
    const bad = cli(['verify', '--json']);
    expect(bad.code).toBe(1);
    const kinds = parseJson<VerifyOut>(bad.stdout)
      .problems.map((p) => `${p.key} ${p.kind}`)
      .sort();
    expect(kinds).toEqual(
      [`ticks/${a} retention`, `ticks/${b} etag`, `ticks/${b} legal-hold`, `ticks/${c} missing`].sort(),
    );
  });

  it('verify --deep finds an object whose bytes were replaced on the server (a bucket without Object Lock)', async () => {
    const { root, cli } = archivedTree(4, { bucket: PLAIN, objectLock: undefined });
    const day = dayOffset(3);
    const remote = metadata(root)[`ticks/${day}`]?.remote as Remote;
    expectExit(cli(['verify', '--deep', '--json']));
    // Same size, other bytes, written over the key (no versioning: the recorded version id is the one replaced).
    const body = Buffer.alloc(remote.bytes, 7);
    await s3.rgw.client.send(new PutObjectCommand({ Bucket: PLAIN, Key: remote.key, Body: body }));
    const shallow = parseJson<VerifyOut>(cli(['verify', '--json']).stdout);
    expect(shallow.problems.map((p) => p.kind)).toEqual(['etag']);
    const deep = cli(['verify', '--deep', '--json']);
    expect(deep.code).toBe(1);
    const problems = parseJson<VerifyOut>(deep.stdout).problems;
    expect(problems.map((p) => p.kind)).toEqual(['etag', 'sha256']);
    expect(problems[1]?.found).toContain(createHash('sha256').update(body).digest('hex'));
  });

  it('inventory lists each remote object with its version, retention and legal hold', () => {
    const { root, cli } = archivedTree(4);
    const inv = cli(['inventory', '--json']);
    expect(inv.code, inv.stderr).toBe(0);
    interface Entry {
      day: string;
      tier: string;
      path: string;
      bytes: number;
      sha256: string;
      versionId: string | null;
      lockMode: string | null;
      retainUntil: string | null;
      legalHold: boolean | null;
    }
    const s3 = parseJson<Entry[]>(inv.stdout).filter((e) => e.tier === 's3');
    expect(s3.map((e) => e.day)).toEqual([4, 3].map(dayOffset));
    for (const e of s3) {
      const r = metadata(root)[`ticks/${e.day}`]?.remote as Remote;
      expect(e).toMatchObject({
        path: `s3://${LOCKED}/${r.key}`,
        bytes: r.bytes,
        sha256: r.sha256,
        versionId: r.versionId,
        lockMode: 'COMPLIANCE',
        retainUntil: r.retainUntil,
        legalHold: false,
      });
    }
    const table = cli(['inventory']);
    expect(table.stdout).toContain(`version ${s3[0]?.versionId}, COMPLIANCE until`);
  });

  it('analyze DAY and restore DAY --from archive work on a day only in S3 (downloaded, verified)', () => {
    const { root, cli } = archivedTree(4);
    const day = dayOffset(4);
    const rec = metadata(root)[`ticks/${day}`] as Rec;
    const an = cli(['analyze', day, '--json']);
    expect(an.code, an.stderr).toBe(0);
    const report = parseJson<{
      path: string;
      ok: boolean;
      recorded: { sha256Matches: boolean; zstSha256Matches: boolean };
      database: { tables: { name: string; rows: number }[] };
    }>(an.stdout);
    expect(report.path).toContain(`s3://${LOCKED}/${rec.remote?.key}`);
    expect(report.recorded).toMatchObject({ sha256Matches: true, zstSha256Matches: true });
    expect(report.database.tables.find((t) => t.name === 'ticks')?.rows).toBe(rec.rows);

    const db = join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}.db`);
    rmSync(join(root, 'backup'), { recursive: true, force: true }); // the backup is lost too: only the bucket has it
    const r = cli(['restore', day, '--from', 'archive', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(parseJson<{ from: string; sha256: string }>(r.stdout)).toMatchObject({
      from: expect.stringContaining(`s3://${LOCKED}/${rec.remote?.key}`),
      sha256: rec.sha256,
    });
    expect(createHash('sha256').update(readFileSync(db)).digest('hex')).toBe(rec.sha256);
    const after = metadata(root)[`ticks/${day}`];
    expect(after?.state).toBe('sealed');
    expect(after?.remote?.versionId).toBe(rec.remote?.versionId); // the object stays recorded (it is still there)
  });
});
