import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { checkDurableOrder, parseTrace, straceUsable, traceRunOnce } from '../helpers/durability-trace.js';

/**
 * The order of every durable step, proven from a syscall trace (DESIGN 3; docs/reliability.md). A SIGKILL keeps the
 * page cache, so the crash tests cannot show that data reaches the disk before the step that relies on it; the
 * trace shows the order in which the calls were made, which is what a power cut would cut into.
 */
const POLICY = { compressAfterDays: 2, archiveAfterDays: 4, purgeAfterDays: 6, backupRetentionDays: 3 };
/** The last day of a month: tomorrow's database needs a new db/2026/04 folder, the backups and the archive new trees. */
const NOW0 = '2026-03-31T12:00:00Z';
const NOW1 = '2026-04-02T12:00:00Z';

const canTrace = straceUsable('durability-trace');

describe('the durability checker itself', () => {
  const root = '/r';
  it('flags a file renamed into place without an fsync, and a source deleted before the new folder is durable', () => {
    const trace = [
      '10 openat(AT_FDCWD</>, "/r/db/.x_2026-01-01.db.zst.1.tmp", O_WRONLY|O_CREAT, 0644) = 20</r/db/.x_2026-01-01.db.zst.1.tmp>',
      '10 write(0x14, 0x7f00, 0x100) = 0x100',
      '11 mkdir("/r/archive/2026", 0777) = 0',
      '10 rename("/r/db/.x_2026-01-01.db.zst.1.tmp", "/r/archive/2026/x_2026-01-01.db.zst") = 0',
      '10 fsync(21</r/archive/2026>) = 0',
      '10 unlink("/r/db/2026/01/x_2026-01-01.db") = 0',
    ].join('\n');
    const { violations } = checkDurableOrder(parseTrace(trace, '/'), root);
    expect(violations).toEqual([
      expect.stringMatching(/^rename .*\.tmp -> .*x_2026-01-01\.db\.zst .*not fsynced after its last write/),
      expect.stringMatching(
        /^deleting \/r\/db\/2026\/01\/x_2026-01-01\.db .* before \/r\/archive was fsynced after mkdir \/r\/archive\/2026/,
      ),
    ]);
  });

  it('accepts the same steps in a durable order, with calls split by other threads', () => {
    const trace = [
      '10 openat(AT_FDCWD</>, "/r/db/.x_2026-01-01.db.zst.1.tmp", O_WRONLY|O_CREAT, 0644) = 20</r/db/.x_2026-01-01.db.zst.1.tmp>',
      '10 write(0x14, 0x7f00, 0x100) = 0x100',
      '12 fsync(20</r/db/.x_2026-01-01.db.zst.1.tmp> <unfinished ...>',
      '11 mkdir("/r/archive/2026", 0777) = 0',
      '12 <... fsync resumed>) = 0',
      '11 fsync(22</r/archive>) = 0',
      '10 renameat2(AT_FDCWD</r>, "db/.x_2026-01-01.db.zst.1.tmp", AT_FDCWD</r>, "archive/2026/x_2026-01-01.db.zst", 0) = 0',
      '10 fsync(21</r/archive/2026>) = 0',
      '10 unlink("/r/db/2026/01/x_2026-01-01.db") = 0',
    ].join('\n');
    const report = checkDurableOrder(parseTrace(trace, '/'), root);
    expect(report.violations).toEqual([]);
    expect(report.counts).toMatchObject({ placed: 1, sourcesDeleted: 1, foldersCreated: 1 });
  });

  it('flags metadata not durable before the move that relies on it, and an audit line not fsynced', () => {
    const trace = [
      '10 openat(AT_FDCWD</>, "/r/db/audit.jsonl", O_WRONLY|O_APPEND|O_CREAT, 0644) = 30</r/db/audit.jsonl>',
      '10 write(0x1e, 0x7f00, 0x80) = 0x80',
      '10 openat(AT_FDCWD</>, "/r/db/.rotation_metadata.json.1.tmp", O_WRONLY|O_CREAT, 0644) = 31</r/db/.rotation_metadata.json.1.tmp>',
      '10 write(0x1f, 0x7f00, 0x80) = 0x80',
      '10 fsync(31</r/db/.rotation_metadata.json.1.tmp>) = 0',
      '10 rename("/r/db/.rotation_metadata.json.1.tmp", "/r/db/rotation_metadata.json") = 0',
      '10 rename("/r/db/2026/01/.x_2026-01-01.db.zst.1.tmp", "/r/db/2026/01/x_2026-01-01.db.zst") = 0',
    ].join('\n');
    const { violations } = checkDurableOrder(parseTrace(trace, '/'), root);
    expect(violations).toEqual([
      expect.stringMatching(
        /^metadata written .* folder not fsynced before rename \/r\/db\/2026\/01\/x_2026-01-01\.db\.zst/,
      ),
      expect.stringMatching(/^audit line written .* not fsynced before rename \/r\/db\/rotation_metadata\.json/),
    ]);
  });
});

describe.skipIf(!canTrace)('durable order of run --once, from an strace of the run', () => {
  let dir: string;
  let cleanup: () => void;
  let root: string;
  let config: string;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('tickdb-trace-'));
    root = join(dir, 'root');
    config = join(dir, 'tickdb.json');
    writeFileSync(config, JSON.stringify(POLICY));
    const sim = runCli(['simulate', '--days', '7', '--rows', '500', '--root', root, '--now', NOW0]);
    expect(sim.code, sim.stderr).toBe(0);
  });
  afterAll(() => cleanup());

  const traced = (now: string, name: string): ReturnType<typeof checkDurableOrder> => {
    const out = join(dir, `${name}.strace`);
    const events = traceRunOnce(out, ['--root', root, '--config', config, '--now', now]);
    const report = checkDurableOrder(events, root);
    process.stdout.write(
      `durability-trace ${name}: ${JSON.stringify(report.counts)}, ${report.violations.length} violations\n`,
    );
    for (const v of report.violations.slice(0, 20)) process.stdout.write(`  ${v}\n`);
    return report;
  };

  it('a legacy tree: seal, back up, compress (into db/ and into a new archive tree), purge, pre-create in a new month', () => {
    const report = traced(NOW0, 'first-run');
    expect(report.counts.sourcesDeleted).toBeGreaterThan(0);
    expect(report.counts.foldersCreated).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  });

  it('two days later: seal, compress, archive, purge and purge backups', () => {
    const report = traced(NOW1, 'second-run');
    expect(report.counts.sourcesDeleted).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  });
});
