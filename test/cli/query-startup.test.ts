import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, cleanEnv, tempDir } from '../helpers/cli.js';
import { simulatedTree } from '../helpers/tree.js';

const NOW = '2026-03-12T06:00:00Z';

/**
 * What a query loads (issue 19, the cached run's speed): pino only when its one log line is written (`--log-level
 * debug`); at the default level the query writes no log line, and loading the logger for nothing cost about 10 ms
 * of a 220 ms run. The CommonJS modules the process loaded are read from `require.cache` at exit by a preload.
 */
describe('tickdb query start-up', () => {
  let tmp: { dir: string; cleanup: () => void };
  let root: string;
  let configFile: string;

  beforeAll(() => {
    tmp = tempDir('tickdb-query-startup-');
    // Two sealed days, nothing to decompress.
    ({ root, configFile } = simulatedTree(
      tmp.dir,
      { compressAfterDays: 30, archiveAfterDays: 60, purgeAfterDays: 90 },
      { days: 3, rows: 2000, now: NOW },
    ));
  });
  afterAll(() => tmp?.cleanup());

  function query(logLevel: string): { code: number | null; stdout: string; stderr: string; loaded: string[] } {
    const out = join(tmp.dir, `loaded-${logLevel}.json`);
    const preload = `data:text/javascript,import{createRequire}from"node:module";import{writeFileSync}from"node:fs";const r=createRequire("/");process.on("exit",()=>writeFileSync(${JSON.stringify(out)},JSON.stringify(Object.keys(r.cache))))`;
    const statement = ['SELECT ts, symbol FROM ticks WHERE symbol = :sym ORDER BY ts', '--param', 'sym=AAPL'];
    const range = ['--from', '2026-03-10', '--to', '2026-03-11', '--format', 'csv'];
    const tree = ['--root', root, '--config', configFile, '--now', NOW, '--log-level', logLevel];
    const r = spawnSync(process.execPath, ['--import', preload, BIN, 'query', ...statement, ...range, ...tree], {
      cwd: REPO,
      env: cleanEnv(),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const loaded = JSON.parse(readFileSync(out, 'utf8')) as string[];
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
  }

  const loadsPino = (loaded: string[]): boolean => loaded.some((path) => /[/\\]node_modules[/\\]pino[/\\]/.test(path));

  it('does not load the logger at the default level, and loads it for its debug line', () => {
    const quiet = query('info');
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout.split('\r\n').length).toBeGreaterThan(10);
    // better-sqlite3 shows that the preload sees the CommonJS modules the query loads.
    expect(quiet.loaded.some((path) => path.includes('better-sqlite3'))).toBe(true);
    expect(loadsPino(quiet.loaded)).toBe(false);

    const debug = query('debug');
    expect(debug.code, debug.stderr).toBe(0);
    expect(debug.stderr).toContain('"query days"');
    expect(loadsPino(debug.loaded)).toBe(true);
    expect(debug.stdout).toBe(quiet.stdout);
  });
});
