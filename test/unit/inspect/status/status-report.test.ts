import { describe, expect, it } from 'vitest';
import { worstStatus } from '../../../../src/inspect/status/check-result.js';
import { checkDiskSpace, type DiskReading } from '../../../../src/inspect/status/disk-space.js';
import { checkAudit, checkQuarantine } from '../../../../src/inspect/status/integrity-checks.js';
import { buildStatusReport, formatStatusText, statusJson } from '../../../../src/inspect/status/status-report.js';
import { config, dirs, facts, file, jobOk, metadataOf, record, scanOf } from './fixtures.js';

const NOW = '2026-03-10T13:00:00Z';
const healthyScan = scanOf([
  file('2026-03-10', 'db', 'db'),
  file('2026-03-11', 'db', 'db'),
  file('2026-03-09', 'db', 'db'),
  file('2026-03-09', 'backup', 'db'),
]);
const healthyMeta = {
  found: true,
  metadata: metadataOf(
    [
      record('2026-03-10', 'live'),
      record('2026-03-11', 'live'),
      record('2026-03-09', 'sealed', { backupSha256: 'a'.repeat(64) }),
    ],
    { rotate: jobOk('2026-03-10T00:15:00Z') },
  ),
};

describe('worst status', () => {
  it('ranks OK < UNKNOWN < WARNING < CRITICAL', () => {
    expect(worstStatus([])).toBe('OK');
    expect(worstStatus(['OK', 'UNKNOWN'])).toBe('UNKNOWN');
    expect(worstStatus(['UNKNOWN', 'WARNING', 'OK'])).toBe('WARNING');
    expect(worstStatus(['WARNING', 'CRITICAL', 'UNKNOWN'])).toBe('CRITICAL');
  });
});

describe('status report', () => {
  it('a healthy picture is OK: exit 0, a Nagios summary with perfdata, then one line per check', () => {
    const report = buildStatusReport(facts(NOW, { scan: healthyScan, metadata: healthyMeta }));
    expect(report).toMatchObject({ status: 'OK', exitCode: 0, today: '2026-03-10' });
    expect(report.summary).toMatch(/^TICKDB OK - all 15 checks passed; last rotation succeeded 12\.8 h ago/);
    expect(report.perfdata).toBe(
      'rotation_age=45900s;90000;176400;0 backlog_days=0;0;3;0 quarantined=0;;0;0 ' +
        'db_free=50%;15:;5:;0;100 backup_free=50%;15:;5:;0;100 archive_free=50%;15:;5:;0;100 days=3;;;0 wal_ticks=0B;1073741824;;0 ' +
        'exported_days=0;;;0 unexported_sealed_days=1;;;0 purged_unexported_days=0;;;0 archive_backlog_days=0;;;0',
    );
    const lines = formatStatusText(report).trimEnd().split('\n');
    expect(lines[0]).toBe(`${report.summary} | ${report.perfdata}`);
    expect(lines).toHaveLength(16);
  });

  it('the worst check decides; problems come first, in the summary briefly, and in the JSON with hint, day and path', () => {
    const f = facts(NOW, { scan: scanOf([file('2026-03-11', 'db', 'db')]), metadata: healthyMeta, lock: undefined });
    const report = buildStatusReport(f);
    expect(report.status).toBe('CRITICAL');
    expect(report.exitCode).toBe(2);
    expect(report.summary).toMatch(/^TICKDB CRITICAL - \d+ problems: today: ticks\/2026-03-10 missing; /);
    expect(report.summary).toContain('agent: not running');
    expect(report.checks[0]?.name).toBe('today');
    const doc = statusJson(report) as { checks: Record<string, unknown>[] };
    expect(doc.checks[0]).toEqual({
      name: 'today',
      status: 'CRITICAL',
      message: expect.any(String),
      hint: expect.any(String),
      dataset: 'ticks',
      day: '2026-03-10',
      path: '/r/db/2026/03/ticks_2026-03-10.db',
    });
    expect(doc.checks.find((c) => c.status === 'OK')?.hint).toBeNull();
  });

  it('keeps `|` out of the text, where Nagios would read it as performance data', () => {
    const f = facts(NOW, {
      scan: healthyScan,
      metadata: healthyMeta,
      disk: [{ tier: 'db', dir: '/mnt/a|b', error: 'EACCES' }],
    });
    const text = formatStatusText(buildStatusReport(f));
    expect(text.split('|')).toHaveLength(2);
    expect(text).toContain('/mnt/a/b');
  });
});

describe('disk check', () => {
  const reading = (
    tier: 'db' | 'backup' | 'archive',
    device: number,
    avail: number,
    measuredAt = dirs[tier],
  ): DiskReading => ({ tier, dir: dirs[tier], measuredAt, device, totalBytes: 1000, availableBytes: avail });

  it('compares each filesystem once, naming the tiers on it, with warn and crit thresholds', () => {
    const out = checkDiskSpace(
      [reading('db', 1, 100), reading('backup', 1, 100), reading('archive', 2, 30, '/r')],
      config(),
    );
    expect(out.results.map((r) => [r.status, r.brief])).toEqual([
      ['WARNING', 'db, backup 10.0% free'],
      ['CRITICAL', 'archive 3.0% free'],
    ]);
    expect(out.results[1]?.message).toContain('below critFreePercent 5%: /r/archive (not created yet)');
    expect(out.perf?.map((p) => `${p.label}=${p.value}`)).toEqual(['db_free=10', 'backup_free=10', 'archive_free=3']);
  });

  it('a filesystem that cannot be read is UNKNOWN for that tier', () => {
    const out = checkDiskSpace(
      [reading('db', 1, 900), { tier: 'archive', dir: '/nas/x', error: 'statfs /nas/x did not answer within 1500 ms' }],
      config(),
    );
    expect(out.results).toEqual([expect.objectContaining({ status: 'UNKNOWN', path: '/nas/x' })]);
  });
});

describe('quarantine and audit checks', () => {
  it('each quarantined day is CRITICAL with its reason and file', () => {
    const q = record('2026-03-08', 'quarantined', {
      quarantine: {
        reason: 'integrity check failed',
        path: '/r/db/2026/03/ticks_2026-03-08.db',
        at: '2026-03-10T00:15:00Z',
        previousState: 'live',
      },
    });
    const out = checkQuarantine({ metadata: { metadata: metadataOf([q]), found: true } });
    expect(out.results[0]).toMatchObject({
      status: 'CRITICAL',
      day: '2026-03-08',
      path: '/r/db/2026/03/ticks_2026-03-08.db',
      message: expect.stringContaining('integrity check failed'),
    });
    expect(out.perf?.[0]).toMatchObject({ label: 'quarantined', value: 1 });
  });

  it('a broken chain is CRITICAL naming the first line; lines past the checkpoint are not a problem', () => {
    const base = facts(NOW);
    const broken = {
      ...base,
      audit: {
        ok: false,
        path: '/r/db/audit.jsonl',
        lines: 9,
        lastHash: '',
        beyondCheckpoint: 0,
        problems: [
          { line: 4, problem: 'content does not match its hash (edited)' },
          { line: 5, problem: 'does not chain' },
        ],
      },
    };
    expect(checkAudit(broken).results[0]).toMatchObject({
      status: 'CRITICAL',
      message:
        'audit trail tampered or broken: line 4: content does not match its hash (edited); and 1 more problem (/r/db/audit.jsonl)',
    });
    const beyond = {
      ...base,
      audit: { ok: true, path: '/r/db/audit.jsonl', lines: 9, lastHash: '', beyondCheckpoint: 1, problems: [] },
    };
    expect(checkAudit(beyond).results[0]).toMatchObject({
      status: 'OK',
      message: expect.stringContaining('1 line after the metadata checkpoint (a run in progress)'),
    });
    expect(checkAudit({ ...base, audit: { error: 'EACCES' } }).results[0]?.status).toBe('UNKNOWN');
  });
});
