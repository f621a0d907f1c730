/**
 * Crash injection for the reliability tests: when `TICKDB_FAULT` names this point (e.g.
 * `compress:after-rename`), the process dies at once with SIGKILL, as a power cut would leave it.
 * A no-op unless the variable is set; never set it on a production host.
 */
export function faultPoint(name: string): void {
  const wanted = process.env.TICKDB_FAULT;
  if (wanted === undefined || wanted === '') return;
  if (wanted.split(',').includes(name)) {
    process.stderr.write(`tickdb: TICKDB_FAULT=${name}: killing the process here\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
