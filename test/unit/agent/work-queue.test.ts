import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/agent/work-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('WorkQueue', () => {
  it('runs one item at a time, in order: a job due while another runs waits', async () => {
    const q = new WorkQueue(() => undefined);
    const log: string[] = [];
    const gate = deferred();
    q.enqueue('compress', async () => {
      log.push('compress:start');
      await gate.promise;
      log.push('compress:end');
    });
    q.enqueue('archive', async () => {
      log.push('archive:start');
      log.push('archive:end');
    });
    await Promise.resolve();
    expect(q.running).toBe('compress');
    expect(q.pending).toEqual(['archive']);
    expect(log).toEqual(['compress:start']);
    gate.resolve();
    await q.idle();
    expect(log).toEqual(['compress:start', 'compress:end', 'archive:start', 'archive:end']);
  });

  it('does not queue the same key twice while it waits (but does once it runs)', async () => {
    const q = new WorkQueue(() => undefined);
    const gate = deferred();
    let metrics = 0;
    q.enqueue('catch-up', () => gate.promise);
    expect(
      q.enqueue('metrics', async () => {
        metrics++;
      }),
    ).toBe(true);
    expect(
      q.enqueue('metrics', async () => {
        metrics++;
      }),
    ).toBe(false);
    gate.resolve();
    await q.idle();
    expect(metrics).toBe(1);
    const gate2 = deferred();
    q.enqueue('catch-up', () => gate2.promise);
    await Promise.resolve();
    expect(q.enqueue('catch-up', async () => undefined)).toBe(true);
    gate2.resolve();
    await q.idle();
  });

  it('reports a failing item and goes on with the next', async () => {
    const errors: string[] = [];
    const q = new WorkQueue((key, err) => errors.push(`${key}: ${(err as Error).message}`));
    let ran = false;
    q.enqueue('rotate', async () => {
      throw new Error('disk full');
    });
    q.enqueue('compress', async () => {
      ran = true;
    });
    await q.idle();
    expect(errors).toEqual(['rotate: disk full']);
    expect(ran).toBe(true);
  });

  it('close() drops what waits, refuses new work and waits for the item under way', async () => {
    const q = new WorkQueue(() => undefined);
    const gate = deferred();
    const log: string[] = [];
    q.enqueue('compress', async () => {
      await gate.promise;
      log.push('compress');
    });
    q.enqueue('archive', async () => {
      log.push('archive');
    });
    await Promise.resolve();
    const closed = q.close();
    expect(
      q.enqueue('purge', async () => {
        log.push('purge');
      }),
    ).toBe(false);
    let done = false;
    void closed.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(done).toBe(false);
    gate.resolve();
    await closed;
    expect(log).toEqual(['compress']);
  });
});
