import { chmodSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { simulatedTree } from '../helpers/tree.js';

const NOW = '2026-03-12T06:00:00Z';
const DAY = '2026-03-08';
const SQL = 'SELECT count(*) AS n, sum(volume) AS v FROM ticks';

/**
 * A compressed day is verified as it is decompressed: its `.zst` against the recorded SHA-256 of the `.zst` as it is
 * read, each frame's content against the checksum libzstd checks as it decodes, and with --verify the content
 * against the day's recorded SHA-256 too (DESIGN 14). A byte changed where decoding does not look (the seek table's
 * checksum of a frame) is caught by the first; every failure names the day and leaves no cache entry.
 */
describe('tickdb query verifies a compressed day', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let configFile: string;
  let cacheDir: string;
  const zst = (): string => join(root, 'db', '2026', '03', `ticks_${DAY}.db.zst`);
  const query = (extra: string[] = []) =>
    runCli([
      'query',
      SQL,
      '--from',
      DAY,
      '--to',
      '2026-03-09',
      '--format',
      'csv',
      '--root',
      root,
      '--config',
      configFile,
      '--now',
      NOW,
      ...extra,
    ]);
  const entries = (): string[] => {
    try {
      return readdirSync(cacheDir).filter((f) => f.endsWith('.db'));
    } catch {
      return [];
    }
  };

  /** Runs `check` with the day's `.zst` holding `bytes`, then puts the original back, read-only as it was. */
  const withZst = (bytes: Buffer, check: () => void): void => {
    const good = readFileSync(zst());
    chmodSync(zst(), 0o644);
    writeFileSync(zst(), bytes);
    try {
      check();
    } finally {
      writeFileSync(zst(), good);
      chmodSync(zst(), 0o444);
    }
  };

  beforeAll(() => {
    tmp = tempDir('tickdb-query-verify-');
    cacheDir = join(tmp.dir, 'cache');
    const config = { compressAfterDays: 3, archiveAfterDays: 30, purgeAfterDays: 60, compressionLevel: 1 };
    ({ root, configFile } = simulatedTree(
      tmp.dir,
      { ...config, frameSizeMib: 1, queryCache: { dir: cacheDir } },
      { days: 5, rows: 30_000, now: NOW },
    ));
  });
  afterAll(() => tmp?.cleanup());

  it('refuses a .zst that differs from its recorded SHA-256 where decoding does not look, with or without --verify', () => {
    const bad = Buffer.from(readFileSync(zst()));
    // The seek table ends the file: ... | last entry's checksum (4) | Number_Of_Frames (4) | descriptor (1) | magic (4).
    const at = bad.length - 9 - 4;
    bad[at] = (bad[at] ?? 0) ^ 0x01;
    withZst(bad, () => {
      for (const extra of [[], ['--verify']]) {
        const r = query(extra);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`${DAY}: ${zst()} has SHA-256`);
        expect(r.stderr).toContain('not the recorded');
        // The other day is complete; the bad one left no cache entry.
        expect(r.stdout.trimEnd().split('\r\n')).toHaveLength(2);
        expect(entries()).toHaveLength(1);
      }
    });
    const again = query();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trimEnd().split('\r\n')).toHaveLength(3);
  });

  it('trusts a cache entry only while it matches its record: one changed in place is found, and decompressed again', () => {
    const first = query(['--log-level', 'debug']);
    expect(first.code, first.stderr).toBe(0);
    const [name] = entries();
    const entry = join(cacheDir, name ?? 'none');
    const viaOf = (stderr: string): string[] =>
      (
        JSON.parse(stderr.split('\n').find((l) => l.includes('"query days"')) ?? '{"days":[]}') as {
          days: { via: string }[];
        }
      ).days.map((d) => d.via);
    expect(viaOf(query(['--log-level', 'debug']).stderr)).toEqual(['cache', 'cache']);
    // A byte of the entry rewritten in place: same size, mtime put back.
    const { atime, mtime } = statSync(entry);
    const bytes = readFileSync(entry);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    chmodSync(entry, 0o600);
    writeFileSync(entry, bytes);
    chmodSync(entry, 0o400);
    utimesSync(entry, atime, mtime);
    const after = query(['--log-level', 'debug']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toBe(first.stdout);
    expect(viaOf(after.stderr)).toContain('decompressed into the cache (db)');
    expect(viaOf(query(['--log-level', 'debug']).stderr)).toEqual(['cache', 'cache']);
    // An entry whose record is gone is hashed once, then trusted again.
    for (const f of readdirSync(cacheDir).filter((f) => f.endsWith('.json'))) unlinkSync(join(cacheDir, f));
    const rehashed = query(['--log-level', 'debug']);
    expect(rehashed.stdout).toBe(first.stdout);
    expect(viaOf(rehashed.stderr)).toEqual([
      'cache (hashed again: a reboot, or no matching record)',
      'cache (hashed again: a reboot, or no matching record)',
    ]);
    expect(viaOf(query(['--log-level', 'debug']).stderr)).toEqual(['cache', 'cache']);
  });

  it('refuses a frame whose content no longer matches its checksum', () => {
    const bad = Buffer.from(readFileSync(zst()));
    bad[200] = (bad[200] ?? 0) ^ 0xff;
    withZst(bad, () => {
      const r = query(['--no-cache']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${DAY}: .*(corrupt \\.zst|has SHA-256)`));
    });
  });
});
