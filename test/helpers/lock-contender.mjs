// A contender in the lock race test (test/reliability/lock-race.test.ts): a long-lived process that, at each `go`
// message, tries to take the tree lock with the compiled acquireLock, holds it for `holdMs` when it gets it, and
// reports its tenure on the system-wide monotonic clock (process.hrtime, CLOCK_MONOTONIC on Linux).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const { acquireLock } = await import(
  pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'src', 'store', 'lock.js')).href
);

process.on('message', async (msg) => {
  if (msg.type === 'exit') process.exit(0);
  const dirs = { root: msg.root, db: join(msg.root, 'db'), backup: '', archive: '', metricsFile: '' };
  try {
    const lock = await acquireLock(dirs, 'race', new Date());
    const start = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, msg.holdMs));
    const end = process.hrtime.bigint();
    await lock.release();
    process.send({ round: msg.round, pid: process.pid, won: true, start: String(start), end: String(end) });
  } catch (err) {
    process.send({
      round: msg.round,
      pid: process.pid,
      won: false,
      code: err?.code ?? 'ERR',
      message: String(err?.message ?? err),
    });
  }
});
process.send({ type: 'ready' });
