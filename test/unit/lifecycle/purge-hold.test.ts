import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { scanTiers } from '../../../src/layout/scan.js';
import type { ExecContext } from '../../../src/lifecycle/exec-context.js';
import { executePlan } from '../../../src/lifecycle/execute.js';
import { plan } from '../../../src/lifecycle/plan.js';
import { FIXTURE_DAY, FIXTURE_NOW, type FixtureTree, openFixture } from './fixture-tree.js';

/**
 * The legal holds are read again from the config file inside each purge (DESIGN 3b): a hold added to the file after
 * the plan was made (an operator's edit while the agent runs) keeps the day. The holds are read as the CLI and the
 * agent read them: `loadConfig` on the config file, at the moment of the purge.
 */
const trees: FixtureTree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});

async function plannedPurge(): Promise<{
  t: FixtureTree;
  file: string;
  ctx: ExecContext;
  steps: ReturnType<typeof plan>['steps'];
}> {
  const t = await openFixture('compressed-with-backup');
  trees.push(t);
  const file = join(t.root, 'tickdb.json');
  writeFileSync(file, JSON.stringify({ compressAfterDays: 2, archiveAfterDays: 4, purgeAfterDays: 6 }));
  const load = () => loadConfig({ configFile: file, flags: { root: t.root }, env: {} }).config;
  const config = load();
  const scan = await scanTiers(t.dirs, ['ticks']);
  const p = plan({
    scan,
    metadata: t.store.metadata,
    config,
    dirs: t.dirs,
    now: FIXTURE_NOW,
    jobs: new Set(['purge']),
  });
  expect(p.steps.map((s) => [s.kind, 'day' in s ? s.day : ''])).toEqual([['purge', FIXTURE_DAY]]);
  return { t, file, ctx: { ...t.ctx, config, currentHolds: () => load().legalHolds }, steps: p.steps };
}

const zst = (t: FixtureTree): string => `${t.dbPath}.zst`;
const backup = (t: FixtureTree): string => join(t.root, 'backup', '2026', '03', `ticks_${FIXTURE_DAY}.db`);

describe('purgeDay reads the legal holds again', () => {
  it('a hold added to the config file between planning and purging keeps the day, and every file of it', async () => {
    const { t, file, ctx, steps } = await plannedPurge();
    writeFileSync(
      file,
      JSON.stringify({
        compressAfterDays: 2,
        archiveAfterDays: 4,
        purgeAfterDays: 6,
        legalHolds: [{ from: '2026-02-15', to: '2026-03-05', reason: 'SEC inquiry 2026-041' }],
      }),
    );
    const [result] = await executePlan(steps, ctx, false);
    expect(result?.outcome).toEqual({
      status: 'skipped',
      message: `ticks/${FIXTURE_DAY} is under legal hold (SEC inquiry 2026-041); not purged`,
    });
    expect(existsSync(zst(t))).toBe(true);
    expect(existsSync(backup(t))).toBe(true);
    expect(t.store.get('ticks', FIXTURE_DAY)?.state).toBe('compressed');
    expect(t.auditEvents()).not.toContain('purged');
  });

  it('without the hold, the same plan purges the day (the control)', async () => {
    const { t, ctx, steps } = await plannedPurge();
    const [result] = await executePlan(steps, ctx, false);
    expect(result?.outcome.status).toBe('done');
    expect(existsSync(zst(t))).toBe(false);
    expect(existsSync(backup(t))).toBe(false);
    expect(t.store.get('ticks', FIXTURE_DAY)?.state).toBe('purged');
    expect(t.auditEvents()).toEqual(['purged']);
  });
});
