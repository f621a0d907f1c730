import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLegalHoldCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, expectExit } from '../helpers/cli.js';
import { needCeph } from '../helpers/rgw.js';
import { rgwForFile, s3Config } from '../helpers/rgw-file.js';
import { dayOffset } from '../helpers/s3-tree.js';
import { hashLine, type AuditLine } from '../../src/store/audit.js';

// The Object Lock of objects already in the bucket follows the config (DESIGN 12): retention extended, legal
// holds set and lifted, GOVERNANCE never bypassed. One RGW for the file (each start costs 20-40 s here).

interface Remote {
  key: string;
  versionId: string;
  lockMode?: string;
  retainUntil?: string;
  legalHold?: boolean;
}
interface Rec {
  state: string;
  remote?: Remote;
}
interface RunDoc {
  results: Array<{ step: { kind: string; day?: string }; outcome: { status: string; message: string } }>;
}

const BUCKET = 'locked';
const HAVE_CEPH = needCeph();
const DAY_MS = 86_400_000;

const purgeDate = (day: string, days: number): string =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString();
const metadata = (root: string): { days: Record<string, Rec>; objectLockApplied?: unknown } =>
  JSON.parse(readFileSync(join(root, 'db', 'rotation_metadata.json'), 'utf8')) as {
    days: Record<string, Rec>;
    objectLockApplied?: unknown;
  };
const auditEvents = (root: string): Array<Record<string, unknown>> =>
  readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const lockSteps = (stdout: string): RunDoc['results'] =>
  parseJson<RunDoc>(stdout).results.filter((r) => r.step.kind === 'object-lock');

describe.skipIf(!HAVE_CEPH)('S3 Object Lock follows the config (DESIGN 12, real Ceph RGW)', () => {
  const s3 = rgwForFile('tickdb-s3lock-', { [BUCKET]: true });

  /** A fresh root; `write` rewrites the config with policy fields and archiveTarget fields over the defaults. */
  function setup(policy: Record<string, unknown> = {}, target: Record<string, unknown> = {}) {
    const { n, root, config } = s3.next();
    const write = (p: Record<string, unknown> = {}, t: Record<string, unknown> = {}): void =>
      writeFileSync(
        config,
        s3Config(
          root,
          { endpoint: s3.rgw.endpoint, bucket: BUCKET, prefix: `run${n}/`, ...target, ...t },
          { ...policy, ...p },
        ),
      );
    write();
    const cli = (args: string[], env: Record<string, string> = {}) =>
      runCli([...args, '--config', config, '--log-level', 'warn'], { env: { ...s3.rgw.env, ...env } });
    return { n, root, cli, write };
  }

  const head = (r: Remote) =>
    s3.rgw.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: r.key, VersionId: r.versionId }));

  it('purgeAfterDays grows: the retention of objects already in the bucket is extended; a shrink keeps it, said once', async () => {
    const { root, cli, write } = setup();
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', '5', '--rows', '500', '--now', now]));
    const first = cli(['run', '--once', '--json', '--now', now]);
    expect(first.code, first.stderr).toBe(0);
    const archived = [3, 4, 5].map(dayOffset);
    for (const day of archived)
      expect(metadata(root).days[`ticks/${day}`]?.remote?.retainUntil).toBe(purgeDate(day, 10));
    expect(metadata(root).objectLockApplied).toMatchObject({ mode: 'COMPLIANCE', retentionDays: { ticks: 10 } });
    // Same config: nothing to bring in line, no request to the bucket for it.
    const same = cli(['run', '--once', '--json', '--now', now]);
    expect(lockSteps(same.stdout)).toEqual([]);

    write({ purgeAfterDays: 20 });
    const grown = cli(['run', '--once', '--json', '--now', now]);
    expect(grown.code, grown.stderr).toBe(0);
    const steps = lockSteps(grown.stdout);
    expect(steps.map((s) => s.step.day).sort()).toEqual([...archived].sort());
    expect(steps.every((s) => s.outcome.status === 'done')).toBe(true);
    for (const day of archived) {
      const remote = metadata(root).days[`ticks/${day}`]?.remote as Remote;
      expect(remote.retainUntil).toBe(purgeDate(day, 20));
      const h = await head(remote);
      expect(h.ObjectLockMode).toBe('COMPLIANCE');
      expect(h.ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day, 20));
      const line = auditEvents(root).find((e) => e.event === 'retention-extended' && e.day === day);
      expect(line).toMatchObject({
        versionId: remote.versionId,
        from: purgeDate(day, 10),
        retainUntil: purgeDate(day, 20),
        lockMode: 'COMPLIANCE',
      });
    }
    expect(lockSteps(cli(['run', '--once', '--json', '--now', now]).stdout)).toEqual([]);

    // A shrink: the objects keep day + 20 (COMPLIANCE cannot be shortened, tickdb does not try), said once.
    write({ purgeAfterDays: 15 });
    for (let i = 0; i < 2; i++) {
      const r = cli(['run', '--once', '--json', '--now', now]);
      expect(r.code, r.stderr).toBe(0);
      expect(lockSteps(r.stdout)).toEqual([]);
    }
    const kept = auditEvents(root).filter((e) => e.event === 'retention-kept');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ dataset: 'ticks', from: 20, to: 15 });
    for (const day of archived) {
      const remote = metadata(root).days[`ticks/${day}`]?.remote as Remote;
      expect(remote.retainUntil).toBe(purgeDate(day, 20));
      expect((await head(remote)).ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day, 20));
    }
  });

  it('a legal hold in the config sets the S3 legal hold on its objects; lifting it from the config lifts it', async () => {
    const { root, cli, write } = setup();
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', '5', '--rows', '500', '--now', now]));
    expectExit(cli(['run', '--once', '--now', now]));
    const held = dayOffset(4);
    const free = dayOffset(3);
    const hold = async (day: string): Promise<string | undefined> => {
      const r = metadata(root).days[`ticks/${day}`]?.remote as Remote;
      try {
        const out = await s3.rgw.client.send(
          new GetObjectLegalHoldCommand({ Bucket: BUCKET, Key: r.key, VersionId: r.versionId }),
        );
        return out.LegalHold?.Status;
      } catch (err) {
        // RGW's answer for a version that never had a legal hold
        if ((err as Error).name === 'ObjectLockConfigurationNotFoundError') return 'never set';
        throw err;
      }
    };
    expect(await hold(held)).toBe('never set');

    write({ legalHolds: [{ day: held, reason: 'SEC inquiry 2026-117' }] });
    const set = cli(['run', '--once', '--json', '--now', now]);
    expect(set.code, set.stderr).toBe(0);
    expect(lockSteps(set.stdout).map((s) => `${s.step.day}:${s.outcome.status}`)).toEqual([`${held}:done`]);
    expect(await hold(held)).toBe('ON');
    expect(await hold(free)).toBe('never set');
    expect(metadata(root).days[`ticks/${held}`]?.remote?.legalHold).toBe(true);
    const remote = metadata(root).days[`ticks/${held}`]?.remote as Remote;
    expect(auditEvents(root).filter((e) => e.event === 'legal-hold-set')).toEqual([
      expect.objectContaining({ day: held, versionId: remote.versionId, reason: 'legal hold: SEC inquiry 2026-117' }),
    ]);
    // A day archived while the hold covers it gets the hold with its upload.
    write({ legalHolds: [{ from: dayOffset(10), reason: 'SEC inquiry 2026-117' }] });
    const later = new Date(Date.now() + DAY_MS).toISOString();
    const next = cli(['run', '--once', '--json', '--now', later]);
    expect(next.code, next.stderr).toBe(0);
    expect(await hold(dayOffset(2))).toBe('ON');
    expect(await hold(free)).toBe('ON');

    write({});
    const lifted = cli(['run', '--once', '--json', '--now', later]);
    expect(lifted.code, lifted.stderr).toBe(0);
    for (const day of [held, free, dayOffset(2)]) {
      expect(await hold(day)).toBe('OFF');
      expect(metadata(root).days[`ticks/${day}`]?.remote?.legalHold).toBeUndefined();
    }
    expect(auditEvents(root).filter((e) => e.event === 'legal-hold-lifted' && e.day === held)).toHaveLength(1);
    expect(lockSteps(cli(['run', '--once', '--json', '--now', later]).stdout)).toEqual([]);
  });

  it('verify reports an object without the retention the config asks for; the next run sets it', async () => {
    const { root, cli, write } = setup();
    write({}, { objectLock: undefined }); // uploaded while the config asked for no Object Lock
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', '4', '--rows', '500', '--now', now]));
    expectExit(cli(['run', '--once', '--now', now]));
    const day = dayOffset(3);
    const r = metadata(root).days[`ticks/${day}`]?.remote as Remote;
    expect(r.retainUntil).toBeUndefined();
    expect((await head(r)).ObjectLockMode).toBeUndefined();
    write(); // COMPLIANCE from now on
    const v = cli(['verify', '--now', now]);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(new RegExp(`ticks/${day}.*retention`));
    expect(v.stdout).toMatch(/no retention/);
    expectExit(cli(['run', '--once', '--now', now]));
    expect((await head(r)).ObjectLockMode).toBe('COMPLIANCE');
    expectExit(cli(['verify', '--now', now]));
  });

  it('a day uploaded in parts gets its retention and its legal hold (RGW ignores both headers on a multipart upload)', async () => {
    const { root, cli, write } = setup();
    write({ legalHolds: [{ from: dayOffset(10), reason: 'SEC inquiry 2026-118' }] }, { partSizeMib: 5 });
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', '3', '--rows', '200000', '--now', now]));
    const run = cli(['run', '--once', '--now', now]);
    expect(run.code, run.stderr).toBe(0);
    const day = dayOffset(3);
    const r = metadata(root).days[`ticks/${day}`]?.remote as Remote;
    const h = await head(r);
    expect(h.ETag).toMatch(/-\d+"?$/); // a multipart upload's ETag: the part count after a dash
    expect(h.ObjectLockMode).toBe('COMPLIANCE');
    expect(h.ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day, 10));
    const held = await s3.rgw.client.send(
      new GetObjectLegalHoldCommand({ Bucket: BUCKET, Key: r.key, VersionId: r.versionId }),
    );
    expect(held.LegalHold?.Status).toBe('ON');
    expect(r).toMatchObject({ lockMode: 'COMPLIANCE', legalHold: true });
    expectExit(cli(['verify', '--now', now]));
  });

  it('GOVERNANCE: objects are written under it, and tickdb never bypasses it (the owner could)', async () => {
    const { root, cli, write } = setup({}, { objectLock: { mode: 'GOVERNANCE' } });
    const now = new Date().toISOString();
    expectExit(cli(['simulate', '--days', '5', '--rows', '500', '--now', now]));
    expectExit(cli(['run', '--once', '--now', now]));
    const day = dayOffset(5);
    const remote = metadata(root).days[`ticks/${day}`]?.remote as Remote;
    expect(remote.lockMode).toBe('GOVERNANCE');
    expect((await head(remote)).ObjectLockMode).toBe('GOVERNANCE');
    // Extending works under GOVERNANCE too, keeping the mode.
    write({ purgeAfterDays: 12 });
    expectExit(cli(['run', '--once', '--now', now]));
    const extended = await head(remote);
    expect(extended.ObjectLockMode).toBe('GOVERNANCE');
    expect(extended.ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day, 12));
    // tickdb's clock says the day is due (13 days on); the server, on its own clock, keeps the version, because
    // tickdb sends no x-amz-bypass-governance-retention.
    const due = new Date(Date.now() + 13 * DAY_MS).toISOString();
    const purge = cli(['purge', '--now', due]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(auditEvents(root).filter((e) => e.event === 'purge-refused' && e.day === day)).toHaveLength(1);
    expect((await head(remote)).VersionId).toBe(remote.versionId);
    // The same delete with the bypass (which tickdb never sends) is what GOVERNANCE allows a privileged user.
    await s3.rgw.client.send(
      new DeleteObjectCommand({
        Bucket: BUCKET,
        Key: remote.key,
        VersionId: remote.versionId,
        BypassGovernanceRetention: true,
      }),
    );
    await expect(head(remote)).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  const auditVersions = async (prefix: string) =>
    (await s3.rgw.client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: `${prefix}_audit/` })))
      .Versions ?? [];
  const objectText = async (key: string, versionId: string): Promise<string> => {
    const r = await s3.rgw.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, VersionId: versionId }));
    return (await r.Body?.transformToString()) ?? '';
  };

  it('each finished day of the audit trail goes to the bucket under the lock; a rewrite on the host is found by --remote', async () => {
    const { n, root, cli, write } = setup();
    const t0 = new Date();
    const day0 = t0.toISOString().slice(0, 10);
    const t1 = new Date(t0.getTime() + DAY_MS).toISOString();
    expectExit(cli(['simulate', '--days', '5', '--rows', '500', '--now', t0.toISOString()]));
    expectExit(cli(['run', '--once', '--now', t0.toISOString()]));
    // Today's lines wait for the day to end.
    expect(await auditVersions(`run${n}/`)).toEqual([]);
    const r1 = cli(['run', '--once', '--now', t1]);
    expect(r1.code, r1.stderr).toBe(0);
    const versions = await auditVersions(`run${n}/`);
    expect(versions.map((v) => v.Key)).toEqual([`run${n}/_audit/${day0}.jsonl`]);
    const v = versions[0] as { Key: string; VersionId: string };
    const h = await s3.rgw.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: v.Key, VersionId: v.VersionId }));
    expect(h.ObjectLockMode).toBe('COMPLIANCE');
    expect(h.ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day0, 10));
    // The object holds the day's lines exactly as in db/audit.jsonl, then the chain's head after them.
    const local = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const ofDay0 = local.filter((l) => (JSON.parse(l) as AuditLine).at.startsWith(day0));
    const body = (await objectText(v.Key, v.VersionId)).trim().split('\n');
    expect(body.slice(0, -1)).toEqual(ofDay0);
    const last = JSON.parse(ofDay0[ofDay0.length - 1] ?? '{}') as AuditLine;
    expect(JSON.parse(body[body.length - 1] ?? '{}')).toMatchObject({ day: day0, seq: last.seq, head: last.hash });
    expect(metadata(root)).toMatchObject({ auditAnchor: { day: day0, seq: last.seq, hash: last.hash } });
    // Idempotent: another pass the same day writes no second version.
    expectExit(cli(['run', '--once', '--now', t1]));
    expect(await auditVersions(`run${n}/`)).toHaveLength(1);
    // The longest retention grows: the anchored day is extended like the data.
    write({ purgeAfterDays: 20 });
    const grown = cli(['run', '--once', '--now', t1]);
    expect(grown.code, grown.stderr).toBe(0);
    const h2 = await s3.rgw.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: v.Key, VersionId: v.VersionId }));
    expect(h2.ObjectLockRetainUntilDate?.toISOString()).toBe(purgeDate(day0, 20));
    expect(auditEvents(root).filter((e) => e.event === 'retention-extended' && Array.isArray(e.objects))).toEqual([
      expect.objectContaining({ objects: [`${v.Key} (version ${v.VersionId})`], retainUntil: purgeDate(day0, 20) }),
    ]);
    const ok = cli(['audit', 'verify', '--remote']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/OK: s3:\/\/locked\/run\d+\/_audit\/: 1 anchored object version/);

    // Root on the host rewrites line 3 and recomputes every hash after it, and the metadata's checkpoint.
    const lines = local.map((l) => JSON.parse(l) as AuditLine);
    let prev = lines[1]?.hash ?? '';
    for (const line of lines.slice(2)) {
      if (line.seq === 3) line.reason = 'nothing to see here';
      line.prev = prev;
      const { hash: _, ...rest } = line;
      line.hash = hashLine(rest);
      prev = line.hash;
    }
    writeFileSync(join(root, 'db', 'audit.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const metaPath = join(root, 'db', 'rotation_metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { audit: { lastHash: string; count: number } };
    meta.audit = { lastHash: prev, count: lines.length };
    writeFileSync(metaPath, JSON.stringify(meta));
    const localOnly = cli(['audit', 'verify']);
    expect(localOnly.code, localOnly.stdout).toBe(0); // the chain on the host is consistent again
    const remote = cli(['audit', 'verify', '--remote', '--json']);
    expect(remote.code).toBe(1);
    const doc = parseJson<{ remote: { ok: boolean; firstDifference: { line: number; seq: number; kind: string } } }>(
      remote.stdout,
    );
    expect(doc.remote.ok).toBe(false);
    expect(doc.remote.firstDifference).toMatchObject({ line: 3, seq: 3, kind: 'differs' });
    const text = cli(['audit', 'verify', '--remote']);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/the first: line 3 \(seq 3\) differs from the copy anchored in s3:\/\/locked\//);
  });

  it('the bucket out of reach: the audit days wait (a backlog, exit 0) and go once it is back', async () => {
    const { n, root, cli } = setup();
    const t0 = new Date();
    const day0 = t0.toISOString().slice(0, 10);
    const t1 = new Date(t0.getTime() + DAY_MS).toISOString();
    expectExit(cli(['simulate', '--days', '3', '--rows', '300', '--now', t0.toISOString()]));
    expectExit(cli(['run', '--once', '--now', t0.toISOString()]));
    s3.rgw.stopGateway();
    try {
      const r = cli(['run', '--once', '--now', t1]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`audit trail: 1 day(s) wait for the bucket (oldest ${day0})`);
      expect(metadata(root)).not.toHaveProperty('auditAnchor');
    } finally {
      s3.rgw.startGateway();
    }
    const back = cli(['run', '--once', '--now', t1]);
    expect(back.code, back.stderr).toBe(0);
    expect((await auditVersions(`run${n}/`)).map((v) => v.Key)).toEqual([`run${n}/_audit/${day0}.jsonl`]);
    expect(metadata(root)).toMatchObject({ auditAnchor: { day: day0 } });
  });
});
