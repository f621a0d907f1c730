import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnCli } from '../helpers/cli.js';
import { runnableClock } from '../helpers/runnable-time.js';

export interface LogLine {
  level: number;
  msg: string;
  job?: string;
  pid?: number;
  [k: string]: unknown;
}

/**
 * Polls `check` until it returns something other than undefined/false (never sleeps for time to pass). The budget
 * is counted on `clock` (ms since the wait began): wall time by default, a process's runnable time for a wait on
 * that process (`Daemon.waitFor`).
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 60_000,
  clock: () => number = wallClock(),
): Promise<T> {
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (clock() > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function wallClock(): () => number {
  const start = Date.now();
  return () => Date.now() - start;
}

/** The real CLI as a background process, with its stderr log lines parsed as they come. */
export class Daemon {
  readonly child: ReturnType<typeof spawnCli>;
  readonly lines: LogLine[] = [];
  stderr = '';
  stdout = '';
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
    this.child = spawnCli(args, options);
    let partial = '';
    this.child.stderr.setEncoding('utf8');
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (s: string) => {
      this.stdout += s;
    });
    this.child.stderr.on('data', (s: string) => {
      this.stderr += s;
      partial += s;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const p of parts) {
        try {
          this.lines.push(JSON.parse(p) as LogLine);
        } catch {
          // not a log line (e.g. a fault-injection notice)
        }
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * Waits for `check` on this process's work: the budget counts only the time the process was not waiting for a
   * CPU (test/helpers/runnable-time.ts), as tickdb runs at nice 10 and a loaded host may leave it a few percent.
   */
  async waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    return waitFor(what, check, timeoutMs, runnableClock(this.pid));
  }

  /** Waits for a log line; fails early (with the stderr) if the process ends first. */
  async waitForLog(what: string, match: (l: LogLine) => boolean, timeoutMs = 90_000): Promise<LogLine> {
    return this.waitFor(
      what,
      () => {
        const found = this.lines.find(match);
        if (found !== undefined) return found;
        if (this.exit !== undefined)
          throw new Error(`process ended (${JSON.stringify(this.exit)}) before ${what}:\n${this.stderr.slice(-4000)}`);
        return undefined;
      },
      timeoutMs,
    );
  }

  /** The n-th (1-based) line that matches, once there is one. */
  async waitForNth(what: string, n: number, match: (l: LogLine) => boolean, timeoutMs = 90_000): Promise<LogLine> {
    return this.waitFor(
      what,
      () => {
        const all = this.lines.filter(match);
        if (all.length >= n) return all[n - 1];
        if (this.exit !== undefined)
          throw new Error(`process ended (${JSON.stringify(this.exit)}) before ${what}:\n${this.stderr.slice(-4000)}`);
        return undefined;
      },
      timeoutMs,
    );
  }

  signal(sig: NodeJS.Signals): void {
    this.child.kill(sig);
  }

  /** Waits for the exit, on the process's runnable time as `waitFor`; fails with the stderr. */
  async waitForExit(timeoutMs = 40_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await this.waitFor('the exit', () => this.exit, timeoutMs);
    } catch {
      throw new Error(`process did not exit within ${timeoutMs} ms:\n${this.stderr.slice(-4000)}`);
    }
  }

  /** Makes sure the process is gone (test cleanup). */
  async kill(): Promise<void> {
    if (this.exit === undefined) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Every file under `dir`, recursively (absolute paths). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

export const isStarted = (l: LogLine): boolean => l.job === 'agent' && l.msg === 'agent started';
export const isCatchUpDone = (l: LogLine): boolean => l.job === 'catch-up' && l.msg === 'catch-up finished';
