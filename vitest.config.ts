import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { MISSING_PROGRAMS_ENV } from './test/helpers/external-programs.js';

// Test workers note the external programs they lacked here; the reporter prints them at the end of the run.
process.env[MISSING_PROGRAMS_ENV] ??= join(tmpdir(), `tickdb-missing-programs-${process.pid}`);

// In-process tests that start many worker threads from the TypeScript sources: each worker loads its modules
// through tsx, about 0.3 s a start, so these three files take 35 of the unit tier's 55 s of test time. They run in
// `npm test` (project 'workers'), not in the fast tier.
const WORKER_HEAVY = [
  'test/unit/sqlite/inspect-database.test.ts',
  'test/unit/zstd/compress-file.test.ts',
  'test/unit/zstd/decompress-file.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/missing-programs-reporter.ts'],
    projects: [
      {
        // In process, from the TypeScript sources, no build, under 30 s: `npm run test:unit`.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...WORKER_HEAVY],
        },
      },
      {
        // In process too, but slow to start their worker threads from the sources.
        extends: true,
        test: { name: 'workers', include: WORKER_HEAVY },
      },
      {
        // The built CLI spawned as a user runs it, several processes, crashes, real servers. Every tickdb command
        // runs at nice 10 (DESIGN 10): beside two CPU hogs at nice 0 on 2 cores (load 13-18) it got 2-3% of a core,
        // daemon tests that pass in 10-20 s took 83-97 s, and the 200-day run --once had used 8 s of CPU after
        // 465 s. The waits on a daemon count only the time it was not waiting for a CPU and catch a hang
        // (test/helpers/runnable-time.ts); this wall-clock limit is the backstop, the same for every test of the
        // tier (a synchronous spawn cannot be interrupted by it anyway, only judged when it returns).
        extends: true,
        test: {
          name: 'system',
          include: ['test/{cli,integration,reliability,system}/**/*.test.ts'],
          testTimeout: 900_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
