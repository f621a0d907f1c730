import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installSignalHandlers } from '../../../src/agent/signals.js';

describe('installSignalHandlers', () => {
  it('first SIGTERM/SIGINT stops, the second forces, SIGHUP reloads; the remover takes every listener away', () => {
    const source = new EventEmitter();
    const calls: string[] = [];
    const remove = installSignalHandlers(
      source,
      {
        stop: (s) => calls.push(`stop ${s}`),
        force: (s) => calls.push(`force ${s}`),
        reload: () => calls.push('reload'),
      },
      'linux',
    );
    source.emit('SIGHUP', 'SIGHUP');
    source.emit('SIGTERM', 'SIGTERM');
    source.emit('SIGHUP', 'SIGHUP');
    source.emit('SIGINT', 'SIGINT');
    expect(calls).toEqual(['reload', 'stop SIGTERM', 'reload', 'force SIGINT']);
    remove();
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) expect(source.listenerCount(s)).toBe(0);
  });

  it('does not listen for SIGHUP on Windows', () => {
    const source = new EventEmitter();
    const remove = installSignalHandlers(
      source,
      { stop: () => undefined, force: () => undefined, reload: () => undefined },
      'win32',
    );
    expect(source.listenerCount('SIGHUP')).toBe(0);
    expect(source.listenerCount('SIGTERM')).toBe(1);
    remove();
  });
});
