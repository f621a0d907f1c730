import type { DatasetConfig } from '../config/schema.js';
import { addDays, type Day } from '../layout/day.js';
import { dayPath, type TierDirs } from '../layout/tiers.js';
import type { Logger } from '../log.js';
import { createDayDatabase } from '../sqlite/create-database.js';
import { generateTicks } from './tick-generator.js';

export interface SimulatedDay {
  day: Day;
  path: string;
  rows: number;
  created: boolean;
}

const BATCH = 10_000;

/**
 * Creates `days` past days (ages 1..days before `today`) of tick data as the trading engine leaves them: WAL mode,
 * not sealed, writable. Existing files are never overwritten (reported as not created).
 */
export async function simulateDays(
  dirs: TierDirs,
  dataset: DatasetConfig,
  today: Day,
  days: number,
  rows: number,
  logger: Logger,
  onDay?: (done: number, total: number) => void,
): Promise<SimulatedDay[]> {
  const out: SimulatedDay[] = [];
  for (let age = days; age >= 1; age--) {
    const day = addDays(today, -age);
    const path = dayPath(dirs, 'db', dataset.prefix, day, 'db');
    const created = await createDayDatabase(path, {
      schemaSql: dataset.schemaSql,
      mode: 0o644,
      fill: (db) => {
        const insert = db.prepare(
          `INSERT INTO ${dataset.tableName} (${dataset.timestampColumn}, symbol, bid, ask, bid_size, ask_size, last, volume)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        let batch: unknown[][] = [];
        const flush = db.transaction((items: unknown[][]) => {
          for (const item of items) insert.run(...item);
        });
        for (const t of generateTicks(day, rows)) {
          batch.push([t.ts, t.symbol, t.bid, t.ask, t.bidSize, t.askSize, t.last, t.volume]);
          if (batch.length === BATCH) {
            flush(batch);
            batch = [];
          }
        }
        flush(batch);
      },
    });
    logger.info({ job: 'simulate', day, path, rows, created }, created ? 'simulated day' : 'day exists, left as it is');
    out.push({ day, path, rows: created ? rows : 0, created });
    onDay?.(days - age + 1, days);
  }
  return out;
}
