import { describe, expect, it } from 'vitest';
import { csvSink, ndjsonSink, tableSink } from '../../../src/query/output/row-sink.js';
import type { TextTarget } from '../../../src/query/output/text-target.js';
import { headerNames, valueJson, valueText } from '../../../src/query/output/values.js';

function memoryTarget(): TextTarget & { text: () => string } {
  let text = '';
  return {
    write: async (t) => {
      text += t;
    },
    close: async () => undefined,
    discard: async () => undefined,
    text: () => text,
  };
}

const rows = [
  [1772958600677999397n, 'AAPL', 18.46, null, Buffer.from([0xca, 0xfe])],
  [-1n, 'A "quoted", name', 0.1 + 0.2, Number.POSITIVE_INFINITY, null],
];

describe('query output', () => {
  it('prints integers with every digit, reals exactly, infinities and blobs', () => {
    expect(valueText(9007199254740993n, '')).toBe('9007199254740993');
    expect(valueText(0.30000000000000004, '')).toBe('0.30000000000000004');
    expect(valueText(Number.NEGATIVE_INFINITY, '')).toBe('-Inf');
    expect(valueJson(Number.POSITIVE_INFINITY)).toBe('1e999');
    expect(valueText(Buffer.from([1, 255]), '')).toBe('01ff');
  });

  it('puts day first and renames repeated columns', () => {
    expect(headerNames(['ts', 'day', 'ts'])).toEqual(['day', 'ts', 'day_2', 'ts_2']);
  });

  it('writes RFC 4180 CSV with one header line', async () => {
    const t = memoryTarget();
    const sink = csvSink(t);
    await sink.header(['day', 'ts', 'symbol', 'bid', 'ask', 'raw']);
    await sink.rows('2026-03-09', rows);
    await sink.finish();
    expect(t.text()).toBe(
      'day,ts,symbol,bid,ask,raw\r\n2026-03-09,1772958600677999397,AAPL,18.46,,cafe\r\n2026-03-09,-1,"A ""quoted"", name",0.30000000000000004,Inf,\r\n',
    );
  });

  it('writes one JSON object per row, integers exact', async () => {
    const t = memoryTarget();
    const sink = ndjsonSink(t);
    await sink.header(['day', 'ts', 'symbol', 'bid', 'ask', 'raw']);
    await sink.rows('2026-03-09', rows);
    const lines = t.text().trimEnd().split('\n');
    expect(lines[0]).toBe(
      '{"day":"2026-03-09","ts":1772958600677999397,"symbol":"AAPL","bid":18.46,"ask":null,"raw":"cafe"}',
    );
    expect(JSON.parse(lines[1] ?? '')).toEqual({
      day: '2026-03-09',
      ts: -1,
      symbol: 'A "quoted", name',
      bid: 0.30000000000000004,
      ask: Number.POSITIVE_INFINITY,
      raw: null,
    });
  });

  it('aligns a table on its first rows', async () => {
    const t = memoryTarget();
    const sink = tableSink(t, 2);
    await sink.header(['day', 'n']);
    await sink.rows('2026-03-09', [[1n], [22n]]);
    await sink.rows('2026-03-10', [[333n]]);
    await sink.finish();
    expect(t.text()).toBe('day         n\n----------  --\n2026-03-09  1\n2026-03-09  22\n2026-03-10  333\n');
  });
});
