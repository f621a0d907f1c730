import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './cli.js';

export interface WriterReport {
  committed: Record<string, number>;
  failures: number;
  inserts: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The stand-in trading-engine writer (scripts/tick-writer.ts), a real process writing real SQLite. */
export class WriterProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private stdout = '';
  /** Settles on 'close': the process has exited and its stdio streams are drained ('exit' may come before). */
  private readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(db: string, rate = 2000) {
    this.child = spawn(
      process.execPath,
      [join(REPO, 'dist', 'scripts', 'tick-writer.js'), '--db', db, '--rate', String(rate)],
      { stdio: 'pipe' },
    );
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.stdout.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    this.closed = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves once the writer prints `marker` on stderr. */
  async waitFor(marker: string, timeoutMs = 20_000): Promise<void> {
    const start = Date.now();
    while (!this.stderr.includes(marker)) {
      if (Date.now() - start > timeoutMs) throw new Error(`writer did not print ${marker}: ${this.stderr}`);
      if (this.child.exitCode !== null) throw new Error(`writer exited: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Lets the writer commit at least `rows` more rows (polls its progress through the file, not the clock). */
  async switchTo(path: string): Promise<void> {
    this.child.stdin.write(`switch ${path}\n`);
    await this.waitFor(`switched ${path}`);
  }

  /**
   * Stops the writer (unless it has ended already) and returns the report it printed on stdout, read once its
   * stdout is drained; a writer that printed none is an error naming how it ended, with its stderr.
   */
  async stop(): Promise<WriterReport> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.stdin.writable) {
      this.child.stdin.write('stop\n');
    }
    const { code, signal } = await this.closed;
    const last = this.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) {
      throw new Error(
        `the writer printed no report (exit ${code}, signal ${signal}); stderr: ${this.stderr.slice(-2000)}`,
      );
    }
    return JSON.parse(last) as WriterReport;
  }

  kill9(): Promise<void> {
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGKILL');
    return exited;
  }

  get log(): string {
    return this.stderr;
  }
}

/**
 * Waits until `check()` is true, polling (for progress made by another process, never for time to pass). The
 * budget is wall time, or `clock` (ms since the wait began): `runnableClock(pid)` for progress made by a tickdb
 * process, which runs at nice 10 and may wait long for a CPU on a loaded host (test/helpers/runnable-time.ts).
 */
export async function until(
  check: () => boolean,
  what: string,
  timeoutMs = 20_000,
  clock: () => number = (
    (start) => () =>
      Date.now() - start
  )(Date.now()),
): Promise<void> {
  while (!check()) {
    if (clock() > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
