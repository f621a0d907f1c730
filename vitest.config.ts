import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { MISSING_PROGRAMS_ENV } from './test/helpers/external-programs.js';

// Test workers note the external programs they lacked here; the reporter prints them at the end of the run.
process.env[MISSING_PROGRAMS_ENV] ??= join(tmpdir(), `tickdb-missing-programs-${process.pid}`);

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/helpers/missing-programs-reporter.ts'],
    projects: [
      {
        // In process, from the TypeScript sources, no build: `npm run test:unit`.
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        // The built CLI spawned as a user runs it, several processes, crashes, real servers.
        extends: true,
        test: { name: 'system', include: ['test/{cli,integration,reliability,system}/**/*.test.ts'] },
      },
    ],
  },
});
