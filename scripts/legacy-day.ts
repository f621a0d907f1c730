import { spawnSync } from 'node:child_process';

/**
 * A tick database of about `mib` MiB that does not compress (one tick, then random blobs), as the older scripts
 * left days before `zstd`: for S3 tests and the S3 bench, which need large objects quickly. Needs `sqlite3`.
 */
export function writeIncompressibleDb(db: string, mib: number): void {
  const sql = [
    'CREATE TABLE ticks (ts INTEGER NOT NULL, symbol TEXT NOT NULL, bid REAL, ask REAL, bid_size INTEGER, ask_size INTEGER, last REAL, volume INTEGER);',
    "INSERT INTO ticks VALUES (1, 'AAPL', 1.0, 1.1, 1, 1, 1.05, 10);",
    'CREATE TABLE pad (b BLOB);',
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${mib}) INSERT INTO pad SELECT randomblob(1048576) FROM n;`,
  ].join('\n');
  const s = spawnSync('sqlite3', [db], { input: sql, encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`sqlite3 ${db} failed: ${s.stderr}`);
}

/** `zstd -1 --rm DB -o DB.zst` (the older scripts' way); returns the .zst's path. */
export function zstdLegacy(db: string): string {
  const z = spawnSync('zstd', ['-1', '-q', '--rm', db, '-o', `${db}.zst`], { encoding: 'utf8' });
  if (z.status !== 0) throw new Error(`zstd ${db} failed: ${z.stderr}`);
  return `${db}.zst`;
}
