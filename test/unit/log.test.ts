import { describe, expect, it } from 'vitest';
import { logs } from '../../src/log.js';

describe('logs (whether a level writes a message, without loading pino)', () => {
  it('follows pino: a message at or above the level is written, silent writes nothing', () => {
    expect(logs('info', 'debug')).toBe(false);
    expect(logs('info', 'info')).toBe(true);
    expect(logs('info', 'warn')).toBe(true);
    expect(logs('debug', 'debug')).toBe(true);
    expect(logs('trace', 'debug')).toBe(true);
    expect(logs('fatal', 'error')).toBe(false);
    expect(logs('silent', 'fatal')).toBe(false);
  });
});
