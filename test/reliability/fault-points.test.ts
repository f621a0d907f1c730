import { copyFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { buildScenarios, recoverAndCheck, runArgs, type Scenario } from '../helpers/crash-scenarios.js';
import { copyTree, expectAllOk, pool, readMeta, runCliAsync, tmpFiles } from '../helpers/faults.js';
import { needProgram } from '../helpers/external-programs.js';

/**
 * Crash injection at every durable step (DESIGN 3): `TICKDB_FAULT=<point>` makes the process SIGKILL itself there.
 * Each point is hit in the scenario whose run reaches it first (`raw`: seal, backup, compress into db/ and into
 * archive/, purge of unsealed days; `staged`: archive, purge of archived days, backup purge), then the next
 * `run --once` must finish the work exactly as an uninterrupted run does.
 */
const MOVE = ['after-tmp', 'before-intent', 'after-intent', 'after-rename', 'after-audit', 'after-delete'] as const;
const POINTS: [point: string, scenario: 'raw' | 'staged'][] = [
  ['rotate:after-precreate', 'raw'], // today's file made, not yet recorded (found by random kills)
  ['rotate:after-checkpoint', 'raw'],
  ['rotate:after-chmod', 'raw'],
  ['rotate:before-backup', 'raw'],
  ['rotate:after-backup', 'raw'],
  ['copy:after-tmp', 'raw'],
  ['metadata:before-rename', 'raw'],
  ['audit:after-append', 'raw'],
  // The first compress of `raw` goes straight into archive/, that of `staged` into db/.
  ...MOVE.map((p): [string, 'raw'] => [`compress:${p}`, 'raw']),
  ...(['after-intent', 'after-rename', 'after-audit'] as const).map((p): [string, 'staged'] => [
    `compress:${p}`,
    'staged',
  ]),
  ...MOVE.map((p): [string, 'staged'] => [`archive:${p}`, 'staged']),
  ['purge:after-audit', 'raw'], // an unsealed .db past purgeAfterDays
  ['purge:mid-delete', 'raw'],
  ['purge:after-audit', 'staged'], // an archived .zst
  ['purge:mid-delete', 'staged'],
  ['metadata:before-rename', 'staged'], // over an existing metadata file (in `raw` there is none yet)
];

describe.skipIf(!needProgram('zstd', 'sqlite3'))('crash at each fault point, then run --once', () => {
  let work: string;
  let cleanup: () => void;
  const scenarios = new Map<string, Scenario>();

  beforeAll(async () => {
    ({ dir: work, cleanup } = tempDir('tickdb-faults-'));
    for (const s of await buildScenarios(work)) scenarios.set(s.name, s);
  });
  afterAll(() => cleanup());

  it(`completes or rolls back the step for each of ${POINTS.length} fault points; every row kept`, async () => {
    const settled = await pool(
      2,
      POINTS.map(([point, name], i) => async () => {
        const s = scenarios.get(name);
        if (s === undefined) throw new Error(name);
        const root = join(work, `case-${i}`);
        copyTree(s.tree, root);
        const label = `${point} in ${name}`;
        const crashed = await runCliAsync(runArgs(s, root), { env: { ...s.env, TICKDB_FAULT: point } });
        expect(crashed.signal, `${label}: the fault point was not reached\n${crashed.stdout}\n${crashed.stderr}`).toBe(
          'SIGKILL',
        );
        expect(crashed.stderr).toContain(`TICKDB_FAULT=${point}: killing`);
        const leftTmp = tmpFiles(root).length;
        const pending = Object.values(readMeta(root).days).filter((d) => d.pendingDelete !== undefined).length;
        const { recovery } = await recoverAndCheck(s, root, join(work, `scratch-${i}`), label);
        const recovered =
          (recovery.stdout.match(/^recover\s+(\S+)/gm) ?? []).map((l) => l.split(/\s+/)[1]).join('+') || 'none';
        return `${label}: ${leftTmp} .tmp and ${pending} pending move(s) left by the crash; recovery steps: ${recovered}`;
      }),
    );
    const observed = expectAllOk(settled, (i) => POINTS[i]?.join(' in ') ?? '');
    process.stdout.write(`${observed.join('\n')}\n`);
  });

  it('a hot rollback journal left by a crash mid-transaction (or mid-seal) is rolled back by the seal, not a failure', async () => {
    // The state a kill -9 leaves while SQLite writes in rollback-journal mode (a writer of an adopted tree, or
    // the seal's own switch out of WAL): pages changed in the file, the originals in a hot `-journal`.
    const s = scenarios.get('raw');
    if (s === undefined) throw new Error('raw');
    const root = join(work, 'hot-journal');
    copyTree(s.tree, root);
    const path = join(root, 'db', '2026', '03', 'ticks_2026-03-12.db');
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.pragma('cache_size = 1'); // spill changed pages into the file before the commit
    db.exec('BEGIN');
    db.exec('UPDATE ticks SET bid = bid + 1');
    copyFileSync(path, `${path}.crash`);
    copyFileSync(`${path}-journal`, `${path}.crash-journal`);
    db.exec('ROLLBACK');
    db.close();
    renameSync(`${path}.crash`, path);
    renameSync(`${path}.crash-journal`, `${path}-journal`);
    expect(statSync(`${path}-journal`).size).toBeGreaterThan(0);
    await recoverAndCheck(s, root, join(work, 'scratch-hot'), 'hot journal');
    expect(existsSync(`${path}-journal`)).toBe(false);
  });
});
