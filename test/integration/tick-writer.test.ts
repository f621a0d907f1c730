import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';
import { WriterProcess } from '../helpers/writer.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/**
 * Issue 15 item 12: the writer helper's stop() read the report at the child's 'exit', which Node emits possibly
 * before the stdio streams are drained ("got no JSON" on a loaded machine), and waited for an 'exit' that had
 * already happened when the writer had ended on its own. It now waits for 'close' (exit and stdio drained).
 */
describe('WriterProcess (the stand-in trading-engine writer)', () => {
  it('stop() returns the report of the rows it committed', async () => {
    const writer = new WriterProcess(join(dir, 'a.db'), 2000);
    await writer.waitFor('ready');
    const report = await writer.stop();
    expect(report.failures).toBe(0);
    expect(report.inserts).toBeGreaterThanOrEqual(report.committed[join(dir, 'a.db')] ?? -1);
  });

  it('stop() after the writer already ended (SIGTERM: it prints its report) returns that report, not a hang', async () => {
    const writer = new WriterProcess(join(dir, 'b.db'), 2000);
    await writer.waitFor('ready');
    const closed = new Promise<void>((r) => writer.child.once('close', () => r()));
    writer.child.kill('SIGTERM');
    await closed;
    const report = await writer.stop();
    expect(report.failures).toBe(0);
    expect(Object.keys(report.committed)).toEqual([join(dir, 'b.db')]);
  }, 20_000);
});
