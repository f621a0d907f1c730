import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { runCli, tempDir } from './cli.js';

export interface PristineTree {
  /** A fresh copy of the prepared tree for the current test. */
  readonly root: string;
}

/**
 * Prepares one tree per test file (`simulate` + `run --once`, with the real CLI) and gives each test its own copy,
 * so that a test may damage its tree freely.
 */
export function usePristineTree(options: {
  days: number;
  rows: number;
  now: string;
  env: Record<string, string>;
}): PristineTree {
  let fixture: { dir: string; cleanup: () => void } | undefined;
  let work: { dir: string; cleanup: () => void } | undefined;
  let pristine = '';
  let root = '';
  beforeAll(() => {
    fixture = tempDir();
    pristine = join(fixture.dir, 'root');
    const sim = runCli(
      [
        'simulate',
        '--days',
        String(options.days),
        '--rows',
        String(options.rows),
        '--root',
        pristine,
        '--now',
        options.now,
      ],
      { env: options.env },
    );
    expect(sim.code, sim.stderr).toBe(0);
    const run = runCli(['run', '--once', '--root', pristine, '--now', options.now], { env: options.env });
    expect(run.code, run.stderr).toBe(0);
  });
  afterAll(() => fixture?.cleanup());
  beforeEach(() => {
    work = tempDir();
    root = join(work.dir, 'root');
    cpSync(pristine, root, { recursive: true });
  });
  afterEach(() => work?.cleanup());
  return {
    get root() {
      return root;
    },
  };
}
