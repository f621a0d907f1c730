import { ioError } from './errors.js';

/**
 * Fault injection for the reliability tests, driven by `TICKDB_FAULT` (a comma-separated list). A no-op unless
 * the variable is set; never set it on a production host.
 */
function wanted(name: string): boolean {
  const list = process.env.TICKDB_FAULT;
  return list !== undefined && list !== '' && list.split(',').includes(name);
}

/** True when `TICKDB_FAULT` names `name`: for injections that are neither a crash nor a full disk. */
export function faultRequested(name: string): boolean {
  return wanted(name);
}

/**
 * Crash injection: when `TICKDB_FAULT` names this point (e.g. `compress:after-rename`), the process dies at once
 * with SIGKILL, as a crash would leave it. (The kernel keeps what it wrote: a SIGKILL is not a power cut; the
 * order of the fsyncs is checked by test/reliability/durability-trace.test.ts.)
 */
export function faultPoint(name: string): void {
  if (wanted(name)) {
    process.stderr.write(`tickdb: TICKDB_FAULT=${name}: killing the process here\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

/**
 * A number given to a test hook: `TICKDB_FAULT=NAME:N` (e.g. `s3-retention-seconds:5`) gives N; undefined when the
 * hook is not set. Like the other faults, for tests only.
 */
export function faultNumber(name: string): number | undefined {
  const list = process.env.TICKDB_FAULT;
  if (list === undefined || list === '') return undefined;
  for (const item of list.split(',')) {
    if (!item.startsWith(`${name}:`)) continue;
    const n = Number(item.slice(name.length + 1));
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/**
 * Full-disk injection: when `TICKDB_FAULT` names `enospc:SITE` (`enospc:compress`, `enospc:copy`,
 * `enospc:state`), the write of `path` at that site fails as it would on a full filesystem: an ENOSPC system
 * error, reported the way a real one is (TickdbError NO_SPACE naming the file). Every write at the site fails, as
 * a disk that stays full would make it.
 */
export function faultWrite(site: string, path: string): void {
  if (wanted(`enospc:${site}`)) {
    const err = Object.assign(new Error(`ENOSPC: no space left on device, write (TICKDB_FAULT=enospc:${site})`), {
      code: 'ENOSPC',
      syscall: 'write',
    });
    throw ioError('write', path, err);
  }
}

/**
 * A pause for a test: when `TICKDB_FAULT` names `name` (e.g. `query:after-plan`), the process says so on stderr and
 * waits until its stdin ends, so that a test can act at that point (run the agent between a query's plan and its
 * days) without timing anything.
 */
export async function faultPause(name: string): Promise<void> {
  if (!wanted(name)) return;
  process.stderr.write(`tickdb: TICKDB_FAULT=${name}: paused until stdin ends\n`);
  await new Promise<void>((resolve) => {
    process.stdin.once('end', resolve).once('error', () => resolve());
    process.stdin.resume();
  });
}
