import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * The tree lock under a takeover race (issue 15, item 1): 16 processes at once find the lock of a dead holder, 50
 * rounds. Each process that gets the lock records its tenure on the system-wide monotonic clock; no two tenures may
 * overlap. Contenders are long-lived processes (forked once) so that a round costs milliseconds, not 16 Node starts.
 */
const CONTENDERS = 16;
const ROUNDS = 50;
const HOLD_MS = 10;

interface Report {
  round: number;
  pid: number;
  won: boolean;
  start?: string;
  end?: string;
  code?: string;
  message?: string;
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe("16 processes race to take over a dead holder's lock", () => {
  let dir: string;
  let cleanup: () => void;
  const workers: ChildProcess[] = [];
  const inbox: Report[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = tempDir('tickdb-lock-race-'));
    const script = join(import.meta.dirname, '..', 'helpers', 'lock-contender.mjs');
    await Promise.all(
      Array.from(
        { length: CONTENDERS },
        () =>
          new Promise<void>((resolve, reject) => {
            // The argument makes the command line name tickdb, as a real contender's does (older locks are judged by it).
            const w = fork(script, ['tickdb'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            workers.push(w);
            w.once('error', reject);
            w.on('message', (m: Report & { type?: string }) => (m.type === 'ready' ? resolve() : inbox.push(m)));
          }),
      ),
    );
  });
  afterAll(() => {
    for (const w of workers) w.send({ type: 'exit' });
    cleanup();
  });

  it(`no two holders at once, in ${ROUNDS} rounds`, async () => {
    const dead = deadPid();
    const tenures: { round: number; pid: number; start: bigint; end: bigint }[] = [];
    const others: Report[] = [];
    let takenOver = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const root = join(dir, `r${round}`);
      mkdirSync(join(root, 'db'), { recursive: true });
      // Half the rounds with a lock as this version writes it, half as an older tickdb did (pid only).
      const legacy = { pid: dead, startedAt: '2026-03-10T00:00:00.000Z', command: 'run --once', host: hostname() };
      writeFileSync(
        join(root, 'db', 'tickdb.lock'),
        `${JSON.stringify(round % 2 === 0 ? legacy : { ...legacy, processStart: '1', nonce: `dead-${round}` })}\n`,
      );
      const before = inbox.length;
      for (const w of workers) w.send({ round, root, holdMs: HOLD_MS });
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (inbox.length - before >= CONTENDERS) {
            clearInterval(poll);
            resolve();
          }
        }, 2);
      });
      const reports = inbox.slice(before);
      const won = reports.filter((r) => r.won);
      if (won.length > 0) takenOver++;
      for (const r of won)
        tenures.push({ round, pid: r.pid, start: BigInt(r.start ?? '0'), end: BigInt(r.end ?? '0') });
      others.push(...reports.filter((r) => !r.won && r.code !== 'LOCKED'));
      expect(
        readdirSync(join(root, 'db')).filter((n) => n !== 'tickdb.lock'),
        `round ${round}: litter left in db/`,
      ).toEqual([]);
    }
    tenures.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    const overlaps: string[] = [];
    for (let i = 1; i < tenures.length; i++) {
      const [a, b] = [tenures[i - 1], tenures[i]];
      if (a !== undefined && b !== undefined && b.start < a.end) {
        overlaps.push(
          `round ${b.round}: pid ${b.pid} took the lock ${(Number(a.end - b.start) / 1e6).toFixed(2)} ms before pid ${a.pid} (round ${a.round}) released it`,
        );
      }
    }
    process.stdout.write(
      `lock race: ${ROUNDS} rounds x ${CONTENDERS} contenders: ${tenures.length} tenures, ${overlaps.length} overlaps\n`,
    );
    expect(others, 'contenders that failed other than with LOCKED').toEqual([]);
    expect(overlaps).toEqual([]);
    expect(takenOver).toBe(ROUNDS);
  });

  it('a contender killed while holding its claim on the stale lock does not block the takeover', () => {
    const root = join(dir, 'killed-claimant');
    mkdirSync(join(root, 'db'), { recursive: true });
    const stale = { pid: deadPid(), startedAt: '2026-03-10T00:00:00.000Z', command: 'run --once', host: hostname() };
    writeFileSync(join(root, 'db', 'tickdb.lock'), `${JSON.stringify(stale)}\n`);
    const args = ['rotate', '--root', root, '--now', '2026-03-10T12:00:00Z'];
    const killed = runCli(args, { env: { TICKDB_FAULT: 'lock:after-claim' } });
    expect(killed.signal).toBe('SIGKILL');
    const claims = (): string[] => readdirSync(join(root, 'db')).filter((n) => n.startsWith('tickdb.lock.takeover-'));
    expect(claims()).toEqual([expect.stringMatching(/-1$/)]); // its claim, left behind; the stale lock still there
    expect(JSON.parse(readFileSync(join(root, 'db', 'tickdb.lock'), 'utf8'))).toMatchObject({ pid: stale.pid });
    const next = runCli(args);
    expect(next.code, next.stdout + next.stderr).toBe(0); // claimed the next level, took the lock over
    expect(claims()).toEqual([]);
    expect(readdirSync(join(root, 'db')).filter((n) => n.includes('tickdb.lock'))).toEqual([]);
  });
});
