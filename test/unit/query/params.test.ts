import { describe, expect, it } from 'vitest';
import { TickdbError } from '../../../src/errors.js';
import { dayParams, parseParam, parseParams } from '../../../src/query/params.js';

describe('query parameters', () => {
  it('binds an integer as an exact BigInt, beyond 2^53', () => {
    expect(parseParam('ts=1772958600677999397')).toEqual(['ts', 1772958600677999397n]);
    expect(parseParam('n=-5')).toEqual(['n', -5n]);
  });

  it('binds a decimal as a real and anything else as text; a type can be forced', () => {
    expect(parseParam('px=18.46')).toEqual(['px', 18.46]);
    expect(parseParam('sym=AAPL')).toEqual(['sym', 'AAPL']);
    expect(parseParam('id:text=007')).toEqual(['id', '007']);
    expect(parseParam('px:real=5')).toEqual(['px', 5]);
    expect(parseParam('empty=')).toEqual(['empty', '']);
    expect(parseParam('expr=a=b')).toEqual(['expr', 'a=b']);
  });

  it('refuses malformed, reserved, mistyped and repeated parameters as usage errors', () => {
    for (const bad of ['noequals', '=1', '1x=2', 'day=2026-01-01', 'day_start_ns=1', 'n:int=1.5', 'n:blob=1']) {
      expect(() => parseParam(bad), bad).toThrow(TickdbError);
      try {
        parseParam(bad);
      } catch (err) {
        expect((err as TickdbError).code).toBe('USAGE');
      }
    }
    expect(() => parseParams(['a=1', 'a=2'])).toThrow(/given twice/);
  });

  it('binds the day and its half-open bounds in nanoseconds', () => {
    expect(dayParams('2026-03-09')).toEqual({
      day: '2026-03-09',
      day_start_ns: 1773014400000000000n,
      day_end_ns: 1773100800000000000n,
    });
  });
});
