import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../../src/clock.js';
import { configSchema } from '../../../src/config/schema.js';
import type { ExecContext } from '../../../src/lifecycle/exec-context.js';
import { DayStore } from '../../../src/lifecycle/day-store.js';
import { type TierDirs, tierDirs } from '../../../src/layout/tiers.js';
import { silentLogger } from '../../../src/log.js';
import { readMetadata } from '../../../src/store/metadata.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** The day every fixture tree holds, and the instant the tests run at (nine days later). */
export const FIXTURE_DAY = '2026-03-01';
export const FIXTURE_NOW = new Date('2026-03-10T03:00:00Z');

export interface FixtureTree {
  root: string;
  dirs: TierDirs;
  /** The day's `.db` in the db tier. */
  dbPath: string;
  ctx: ExecContext;
  store: DayStore;
  /** The audit trail's events, in order. */
  auditEvents(): string[];
  cleanup(): void;
}

/**
 * A copy of `test/fixtures/<name>/` in a temp dir (the committed tree is never opened in place: SQLite would
 * checkpoint its -wal away), with `{{ROOT}}` in its metadata replaced, and what executing a step there needs.
 */
export async function openFixture(name: string): Promise<FixtureTree> {
  const root = mkdtempSync(join(tmpdir(), `tickdb-fixture-${name}-`));
  cpSync(join(FIXTURES, name), root, { recursive: true });
  const metadataFile = join(root, 'db', 'rotation_metadata.json');
  writeFileSync(metadataFile, readFileSync(metadataFile, 'utf8').replaceAll('{{ROOT}}', root));
  const config = configSchema.parse({ root });
  const dirs = tierDirs({ root });
  const clock: Clock = { now: () => FIXTURE_NOW, offsetMs: 0 };
  const { metadata } = await readMetadata(dirs, FIXTURE_NOW);
  const store = new DayStore(dirs, metadata, clock);
  const ctx: ExecContext = {
    config,
    dirs,
    clock,
    logger: silentLogger(),
    store,
    currentHolds: () => config.legalHolds,
  };
  return {
    root,
    dirs,
    dbPath: join(root, 'db', '2026', '03', `ticks_${FIXTURE_DAY}.db`),
    ctx,
    store,
    auditEvents: () => {
      let text = '';
      try {
        text = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { event: string }).event);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
