import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJson, runCli, tempDir } from '../helpers/cli.js';

// Issue 15, item 6: compressionThreads was silently capped by the size of libuv's pool (bin/tickdb.js sized it
// from the default thread count, and frames ran on pool size - 1 threads: 3 on this 2-core machine, 4 on a 16-core
// host configured for 8). Frames now run on worker threads of their own: the configured count, up to the cores.
const NOW = '2026-03-10T06:00:00Z';
const cores = availableParallelism();
const configured = cores + 2;

let dir = '';
let cleanup: () => void = () => undefined;
let root = '';
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
  root = join(dir, 'root');
  // About 1.1 MiB per 14 000 rows: more 1 MiB frames than cores.
  const rows = String(14_000 * (cores + 3));
  const sim = runCli(['simulate', '--days', '9', '--rows', rows, '--root', root, '--now', NOW]);
  expect(sim.code, sim.stderr).toBe(0);
});
afterAll(() => cleanup());

interface Field {
  field: string;
  value: unknown;
  effective?: unknown;
}

describe('compressionThreads', () => {
  it('policy shows the configured value and the one in use (capped at the cores)', () => {
    const env = { TICKDB_COMPRESSION_THREADS: String(configured) };
    const r = runCli(['policy', '--json', '--root', root, '--now', NOW], { env });
    expect(r.code, r.stderr).toBe(0);
    const field = parseJson<{ fields: Field[] }>(r.stdout).fields.find((f) => f.field === 'compressionThreads');
    expect(field).toMatchObject({ value: configured, effective: cores });
    const human = runCli(['policy', '--root', root, '--now', NOW], { env });
    expect(human.stdout).toMatch(
      new RegExp(`compressionThreads\\s+${configured} \\(in use: ${cores}, one per core at most\\)`),
    );
    const one = runCli(['policy', '--json', '--root', root, '--now', NOW], {
      env: { TICKDB_COMPRESSION_THREADS: '1' },
    });
    expect(
      parseJson<{ fields: Field[] }>(one.stdout).fields.find((f) => f.field === 'compressionThreads'),
    ).toMatchObject({
      value: 1,
      effective: 1,
    });
  });

  it('a compression runs its frames on exactly that many threads, recorded in the audit trail', () => {
    // 1 MiB frames: every day has more frames than threads.
    const env = {
      TICKDB_COMPRESSION_THREADS: String(configured),
      TICKDB_FRAME_SIZE_MIB: '1',
      TICKDB_COMPRESSION_LEVEL: '1',
    };
    const r = runCli(['run', '--once', '--root', root, '--now', NOW], { env });
    expect(r.code, r.stderr).toBe(0);
    const events = readFileSync(join(root, 'db', 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; frames?: number; threads?: number });
    const compressed = events.filter((e) => e.event === 'compressed' || e.event === 'compressed-to-archive');
    expect(compressed.length).toBeGreaterThan(0);
    for (const e of compressed) {
      expect(e.frames).toBeGreaterThan(cores);
      expect(e.threads).toBe(cores);
    }
  });
});
