import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir, type CliResult, expectExit } from '../helpers/cli.js';
import { WriterProcess, until } from '../helpers/writer.js';

interface StatusCheck {
  name: string;
  status: string;
  message: string;
  hint: string | null;
  day?: string;
  path?: string;
}
interface StatusDoc {
  status: string;
  exitCode: number;
  summary: string;
  perfdata: string;
  checks: StatusCheck[];
}

const T0 = '2026-03-10T12:00:00Z';
let anyDiskConfig = '';
const LEVEL = { TICKDB_COMPRESSION_LEVEL: '3' };
const dayFile = (root: string, day: string, ext = '.db'): string =>
  join(root, 'db', day.slice(0, 4), day.slice(5, 7), `ticks_${day}${ext}`);

/** Runs status --json; free-space thresholds at 0 unless the test passes its own --config (the host's disk is not ours). */
function status(root: string, now: string, extra: string[] = []): CliResult & { doc: StatusDoc } {
  const config = extra.includes('--config') ? [] : ['--config', anyDiskConfig];
  const r = runCli(['status', '--root', root, '--now', now, '--json', ...config, ...extra]);
  return { ...r, doc: parseJson<StatusDoc>(r.stdout) };
}

const problems = (doc: StatusDoc): Record<string, string> =>
  Object.fromEntries(doc.checks.filter((c) => c.status !== 'OK').map((c) => [c.name, c.status]));
const check = (doc: StatusDoc, name: string): StatusCheck => {
  const found = doc.checks.find((c) => c.name === name && c.status !== 'OK') ?? doc.checks.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no ${name} check in ${JSON.stringify(doc)}`);
  return found;
};

/** Every file of the tree with size, mode and mtime: status must leave all of it as it was. */
function snapshot(dir: string, out: Record<string, string> = {}): Record<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) snapshot(full, out);
    else {
      const st = statSync(full);
      out[full] = `${st.size}:${st.mode}:${st.mtimeMs}`;
    }
  }
  return out;
}

describe('tickdb status', () => {
  let dir: string;
  let cleanup: () => void;
  let base: string;
  const agents: ChildProcess[] = [];
  let n = 0;

  /** A copy of the healthy base tree (8 sealed/compressed days, today and tomorrow pre-created as of T0). */
  const tree = (): string => {
    const root = join(dir, `t${++n}`);
    cpSync(base, root, { recursive: true });
    return root;
  };

  /** Makes the tree look like a running agent holds it: a live process whose command line names tickdb. */
  const fakeAgent = (root: string): number => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', 'tickdb-fake-agent'], {
      stdio: 'ignore',
    });
    agents.push(child);
    if (child.pid === undefined) throw new Error('could not spawn the fake agent');
    writeFileSync(
      join(root, 'db', 'tickdb.lock'),
      JSON.stringify({ pid: child.pid, startedAt: T0, command: 'run', host: hostname() }),
    );
    return child.pid;
  };

  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-status-'));
    base = join(dir, 'base');
    anyDiskConfig = join(dir, 'any-disk.json');
    writeFileSync(anyDiskConfig, JSON.stringify({ diskSpace: { warnFreePercent: 0, critFreePercent: 0 } }));
    const sim = runCli(['simulate', '--days', '8', '--rows', '200', '--root', base, '--now', T0]);
    expect(sim.code, sim.stderr).toBe(0);
    const run = runCli(['run', '--once', '--root', base, '--now', T0], { env: LEVEL });
    expect(run.code, run.stderr).toBe(0);
  });
  afterEach(() => {
    for (const a of agents.splice(0)) a.kill('SIGKILL');
  });
  afterAll(() => cleanup());

  it('a healthy tree with the agent running is OK (exit 0), and status changes nothing', () => {
    const root = tree();
    const pid = fakeAgent(root);
    const before = snapshot(root);
    const r = runCli(['status', '--root', root, '--now', '2026-03-10T13:00:00Z', '--config', anyDiskConfig]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TICKDB OK - all 15 checks passed; .* \| .*rotation_age=\d+s;90000;176400/);
    expect(lines[0]).toContain('db_free=');
    expect(lines.slice(1)).toHaveLength(15);
    for (const line of lines.slice(1)) expect(line).toMatch(/^OK {7}\w+/);
    expect(r.stdout).toContain(`held by pid ${pid}`);
    expect(snapshot(root)).toEqual(before);
  });

  it('--json prints one document: status, exitCode, summary and every check with name, status, message, hint', () => {
    const root = tree();
    fakeAgent(root);
    const r = status(root, '2026-03-10T13:00:00Z');
    expect(r.code).toBe(0);
    expect(r.doc).toMatchObject({ status: 'OK', exitCode: 0 });
    expect(r.doc.summary).toMatch(/^TICKDB OK - /);
    expect(r.doc.checks.map((c) => c.name).sort()).toEqual([
      'agent',
      'archive',
      'audit',
      'backlog',
      'busy',
      'disk',
      'drill',
      'export',
      'jobs',
      'metadata',
      'quarantine',
      'rotation',
      'today',
      'tomorrow',
      'wal',
    ]);
    for (const c of r.doc.checks)
      expect(Object.keys(c)).toEqual(expect.arrayContaining(['name', 'status', 'message', 'hint']));
  });

  it("today's database missing is CRITICAL (exit 2), naming the file and what to do", () => {
    const root = tree();
    fakeAgent(root);
    const today = dayFile(root, '2026-03-10');
    rmSync(today);
    const r = status(root, '2026-03-10T13:00:00Z');
    expect(r.code).toBe(2);
    expect(r.doc.status).toBe('CRITICAL');
    const c = check(r.doc, 'today');
    expect(c).toMatchObject({ status: 'CRITICAL', day: '2026-03-10', path: today });
    expect(c.message).toContain(today);
    expect(c.hint).toContain('tickdb rotate');
    expect(r.doc.summary).toMatch(/^TICKDB CRITICAL - \d+ problems?: today: ticks\/2026-03-10 missing/);
  });

  it("tomorrow's database missing after tomorrowDueHour is WARNING (exit 1); before that hour it is not due", () => {
    const root = tree();
    fakeAgent(root);
    rmSync(dayFile(root, '2026-03-11'));
    const lateDue = join(dir, 'due-14.json');
    writeFileSync(
      lateDue,
      JSON.stringify({ tomorrowDueHour: 14, diskSpace: { warnFreePercent: 0, critFreePercent: 0 } }),
    );
    const early = status(root, '2026-03-10T13:00:00Z', ['--config', lateDue]);
    expect(problems(early.doc)).toEqual({ metadata: 'WARNING' }); // recorded as live but gone
    expect(check(early.doc, 'tomorrow').status).toBe('OK');
    const late = status(root, '2026-03-10T13:00:00Z');
    expect(late.code).toBe(1);
    expect(check(late.doc, 'tomorrow')).toMatchObject({
      status: 'WARNING',
      day: '2026-03-11',
      path: dayFile(root, '2026-03-11'),
    });
  });

  it('a rotation missed for more than 25 h is WARNING, for more than 49 h CRITICAL, with the backlog it leaves', () => {
    const root = tree();
    fakeAgent(root);
    const day1 = status(root, '2026-03-11T14:00:00Z'); // 26 h after the last rotation
    expect(day1.code).toBe(1);
    expect(check(day1.doc, 'rotation').status).toBe('WARNING');
    expect(check(day1.doc, 'rotation').message).toMatch(/last successful rotation was 26\.0 h ago/);
    expect(check(day1.doc, 'tomorrow').status).toBe('WARNING'); // 2026-03-12 was never pre-created

    const day3 = status(root, '2026-03-13T13:00:00Z'); // 3 days later
    expect(day3.code).toBe(2);
    expect(check(day3.doc, 'rotation')).toMatchObject({ status: 'CRITICAL' });
    expect(check(day3.doc, 'today')).toMatchObject({ status: 'CRITICAL', day: '2026-03-13' });
    const backlog = check(day3.doc, 'backlog');
    expect(backlog.status).toBe('WARNING');
    expect(backlog.message).toContain('seal+backup ticks/2026-03-10 (age 3)');
    expect(backlog.message).toContain('seal+backup ticks/2026-03-11 (age 2)');
    expect(day3.doc.perfdata).toMatch(/rotation_age=2\d{5}s/);
  });

  it('the agent not running is WARNING; with overdue work it is CRITICAL', () => {
    const root = tree();
    const idle = status(root, '2026-03-10T13:00:00Z');
    expect(idle.code).toBe(1);
    expect(problems(idle.doc)).toEqual({ agent: 'WARNING' });
    expect(check(idle.doc, 'agent').message).toContain('no db/tickdb.lock');

    // A stale lock of a dead process is no agent either.
    writeFileSync(
      join(root, 'db', 'tickdb.lock'),
      JSON.stringify({ pid: 2 ** 22 + 7, startedAt: T0, command: 'run', host: hostname() }),
    );
    const stale = status(root, '2026-03-10T13:00:00Z');
    expect(check(stale.doc, 'agent').message).toContain('is stale');

    const behind = status(root, '2026-03-13T13:00:00Z');
    expect(check(behind.doc, 'agent')).toMatchObject({ status: 'CRITICAL' });
    expect(check(behind.doc, 'agent').message).toMatch(/not running .* and \d+ days are overdue/);
  });

  it('free space below the thresholds is WARNING or CRITICAL per tier filesystem', () => {
    const root = tree();
    fakeAgent(root);
    const warnCfg = join(dir, 'disk-warn.json');
    writeFileSync(warnCfg, JSON.stringify({ diskSpace: { warnFreePercent: 100, critFreePercent: 0 } }));
    const warn = status(root, '2026-03-10T13:00:00Z', ['--config', warnCfg]);
    expect(warn.code).toBe(1);
    expect(problems(warn.doc)).toEqual({ disk: 'WARNING' });
    expect(check(warn.doc, 'disk').message).toMatch(
      /filesystem of db, backup, archive is [\d.]+% free .* below warnFreePercent 100%/,
    );

    const critCfg = join(dir, 'disk-crit.json');
    writeFileSync(critCfg, JSON.stringify({ diskSpace: { warnFreePercent: 100, critFreePercent: 100 } }));
    const crit = status(root, '2026-03-10T13:00:00Z', ['--config', critCfg]);
    expect(crit.code).toBe(2);
    expect(check(crit.doc, 'disk')).toMatchObject({ status: 'CRITICAL', path: join(root, 'db') });
  });

  it('a corrupt day that the run quarantined is CRITICAL, naming the day, the file and the reason', () => {
    const root = join(dir, 'corrupt');
    expectExit(runCli(['simulate', '--days', '4', '--rows', '200', '--root', root, '--now', T0]));
    const bad = dayFile(root, '2026-03-08');
    const bytes = readFileSync(bad);
    for (let i = 4096; i < bytes.length; i++) bytes[i] = (i * 7919) % 251; // every page after the header
    writeFileSync(bad, bytes);
    const run = runCli(['run', '--once', '--root', root, '--now', T0], { env: LEVEL });
    expect(run.code).toBe(1);
    fakeAgent(root);
    const r = status(root, '2026-03-10T13:00:00Z');
    expect(r.code).toBe(2);
    const q = check(r.doc, 'quarantine');
    expect(q).toMatchObject({ status: 'CRITICAL', day: '2026-03-08', path: bad });
    expect(q.message).toContain('integrity check failed');
    expect(q.hint).toContain('tickdb quarantine release 2026-03-08');
    expect(check(r.doc, 'jobs')).toMatchObject({ status: 'CRITICAL' }); // that rotate run failed
    expect(r.doc.perfdata).toContain('quarantined=1;;0');
  });

  it('an edited audit line is CRITICAL, naming the line', () => {
    const root = tree();
    fakeAgent(root);
    const audit = join(root, 'db', 'audit.jsonl');
    const lines = readFileSync(audit, 'utf8').split('\n');
    lines[1] = (lines[1] ?? '').replace(/"rows":200/, '"rows":199'); // the first `sealed` line
    expect(lines[1]).toContain('"rows":199');
    writeFileSync(audit, lines.join('\n'));
    const r = status(root, '2026-03-10T13:00:00Z');
    expect(r.code).toBe(2);
    expect(problems(r.doc)).toEqual({ audit: 'CRITICAL' });
    expect(check(r.doc, 'audit').message).toMatch(
      /^audit trail tampered or broken: line 2: content does not match its hash/,
    );
    expect(r.doc.summary).toContain('audit: tampered at line 2');
  });

  it('metadata disagreeing with the disk: a sealed file changed is CRITICAL, unusable metadata WARNING and left untouched', () => {
    const root = tree();
    fakeAgent(root);
    const sealed = dayFile(root, '2026-03-09');
    const grown = Buffer.concat([readFileSync(sealed), Buffer.alloc(4096)]);
    rmSync(sealed);
    writeFileSync(sealed, grown, { mode: 0o444 });
    const changed = status(root, '2026-03-10T13:00:00Z');
    expect(changed.code).toBe(2);
    expect(check(changed.doc, 'metadata')).toMatchObject({ status: 'CRITICAL', day: '2026-03-09', path: sealed });
    expect(check(changed.doc, 'metadata').hint).toContain('tickdb verify --deep');

    const other = tree();
    fakeAgent(other);
    const metaFile = join(other, 'db', 'rotation_metadata.json');
    writeFileSync(metaFile, '{"retention": 30}\n');
    const before = snapshot(other);
    const unusable = status(other, '2026-03-10T13:00:00Z');
    expect(unusable.code).toBe(1);
    expect(check(unusable.doc, 'metadata')).toMatchObject({ status: 'WARNING', path: metaFile });
    expect(check(unusable.doc, 'metadata').hint).toContain('tickdb verify --rebuild');
    expect(snapshot(other)).toEqual(before); // not kept aside, not rebuilt: status only reads
  });

  it('a past day a writer still holds is WARNING, CRITICAL once more than a day overdue', async () => {
    const root = join(dir, 'busy');
    expectExit(runCli(['rotate', '--root', root, '--now', '2026-03-10T23:50:00Z']));
    const writer = new WriterProcess(dayFile(root, '2026-03-10'), 500);
    try {
      await writer.waitFor('ready');
      await until(() => existsSync(`${dayFile(root, '2026-03-10')}-wal`), 'the writer to open the day');
      const rotate = runCli(['rotate', '--root', root, '--now', '2026-03-11T00:20:00Z', '--json']);
      expect(rotate.code, rotate.stderr).toBe(0);
      fakeAgent(root);
      const warn = status(root, '2026-03-11T01:00:00Z');
      expect(check(warn.doc, 'busy')).toMatchObject({
        status: 'WARNING',
        day: '2026-03-10',
        path: dayFile(root, '2026-03-10'),
      });
      expect(check(warn.doc, 'busy').message).toMatch(/^a writer still holds ticks\/2026-03-10 since /);
      const crit = status(root, '2026-03-12T02:00:00Z'); // due 2026-03-11T00:15Z, now 25 h 45 min late
      expect(check(crit.doc, 'busy').status).toBe('CRITICAL');
    } finally {
      await writer.stop();
    }
  });

  it('its own usage and configuration errors are UNKNOWN (exit 3), on stdout as a Nagios line too', () => {
    const root = tree();
    const cfg = join(dir, 'bad.json');
    writeFileSync(cfg, JSON.stringify({ compressAfterDays: 'seven' }));
    const bad = runCli(['status', '--root', root, '--config', cfg]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/^TICKDB UNKNOWN - invalid configuration: compressAfterDays = "seven"/);
    expect(bad.stderr).toContain('compressAfterDays');

    const json = runCli(['status', '--root', root, '--config', cfg, '--json']);
    expect(json.code).toBe(3);
    expect(parseJson<StatusDoc>(json.stdout)).toMatchObject({ status: 'UNKNOWN', exitCode: 3, checks: [] });

    expect(runCli(['status', '--root', root, '--now', 'yesterday']).code).toBe(3);
    expect(runCli(['status', '--root', root, '--bogus']).code).toBe(3);
    const missing = runCli(['status', '--root', root, '--config', join(dir, 'nope.json')]);
    expect(missing.code).toBe(3);
    expect(missing.stdout).toMatch(/^TICKDB UNKNOWN - cannot read config file/);
  });

  it('an empty root (nothing installed yet) is CRITICAL for today, and creates nothing', () => {
    const root = join(dir, 'empty');
    mkdirSync(root);
    const r = status(root, '2026-03-10T13:00:00Z');
    expect(r.code).toBe(2);
    expect(problems(r.doc)).toMatchObject({ today: 'CRITICAL', tomorrow: 'WARNING', agent: 'WARNING' });
    expect(readdirSync(root)).toEqual([]);
  });
});
