import { yearMonth, type Day } from '../layout/day.js';
import { fileNameFor } from '../layout/tiers.js';

/** Expands `{host}` in the configured prefix; an empty prefix stays empty, any other ends with `/`. */
export function expandPrefix(template: string, host: string): string {
  const p = template.replaceAll('{host}', host).replace(/^\/+/, '');
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** `PREFIX` + `DATASET/YYYY/MM/DATASET_YYYY-MM-DD.db.zst` (`ticks/2026/03/ticks_2026-03-01.db.zst`). */
export function objectKey(prefix: string, dataset: string, day: Day): string {
  const { year, month } = yearMonth(day);
  return `${prefix}${dataset}/${year}/${month}/${fileNameFor(dataset, day, 'zst')}`;
}
