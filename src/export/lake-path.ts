import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Day } from '../layout/day.js';

/** The lake's root: `{host}` becomes this host's name, so hosts that share one lake keep their days apart. */
export function lakeRoot(dir: string, host: string = hostname()): string {
  return resolve(dir.replaceAll('{host}', host));
}

/** Hive layout, read by DuckDB, Spark, Polars and pyarrow with partition columns `dataset` and `date`. */
export function lakeFile(root: string, dataset: string, day: Day): string {
  return join(root, `dataset=${dataset}`, `date=${day}`, 'part-0.parquet');
}
