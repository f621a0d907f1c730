import type { Day } from '../layout/day.js';
import { dayStartMs } from '../layout/day.js';
import { mulberry32 } from '../prng.js';

export const SYMBOLS: readonly string[] = [
  'AAPL',
  'MSFT',
  'AMZN',
  'GOOGL',
  'META',
  'NVDA',
  'TSLA',
  'JPM',
  'BAC',
  'WFC',
  'GS',
  'MS',
  'XOM',
  'CVX',
  'PFE',
  'JNJ',
  'UNH',
  'HD',
  'KO',
  'PEP',
  'WMT',
  'COST',
  'DIS',
  'NFLX',
  'INTC',
  'AMD',
  'CSCO',
  'ORCL',
  'IBM',
  'QCOM',
  'SPY',
  'QQQ',
  'IWM',
  'EURUSD',
  'USDJPY',
  'GBPUSD',
  'ESZ6',
  'NQZ6',
  'CLF7',
  'GCG7',
];

export interface Tick {
  ts: bigint;
  symbol: string;
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
  last: number;
  volume: number;
}

function daySeed(day: Day): number {
  return Number(day.replace(/-/g, '')) ^ 0x5eed;
}

/**
 * Yields `rows` ticks spread across the UTC day in ascending nanosecond timestamps: a random walk per symbol,
 * a spread of a few ticks, sizes in round lots, occasional trades.
 */
export function* generateTicks(day: Day, rows: number): Generator<Tick> {
  const rand = mulberry32(daySeed(day));
  const startNs = BigInt(dayStartMs(day)) * 1_000_000n;
  const stepNs = 86_400_000_000_000n / BigInt(Math.max(rows, 1));
  const prices = SYMBOLS.map((_, i) => 20 + ((i * 37) % 480) + rand() * 10);
  let ts = startNs;
  for (let i = 0; i < rows; i++) {
    ts += 1n + BigInt(Math.floor(rand() * Number(stepNs)));
    const s = Math.floor(rand() ** 1.6 * SYMBOLS.length);
    const tickSize = prices[s]! < 10 ? 0.0001 : 0.01;
    prices[s] = Math.max(tickSize * 10, prices[s]! + (rand() - 0.5) * tickSize * 8);
    const mid = prices[s]!;
    const half = tickSize * (1 + Math.floor(rand() * 3));
    const round = (v: number): number => Math.round(v / tickSize) * tickSize;
    const bid = round(mid - half);
    const ask = round(mid + half);
    const traded = rand() < 0.3;
    yield {
      ts,
      symbol: SYMBOLS[s]!,
      bid: Number(bid.toFixed(4)),
      ask: Number(ask.toFixed(4)),
      bidSize: 100 * (1 + Math.floor(rand() * 50)),
      askSize: 100 * (1 + Math.floor(rand() * 50)),
      last: Number((traded ? (rand() < 0.5 ? bid : ask) : mid).toFixed(4)),
      volume: traded ? 100 * (1 + Math.floor(rand() * 20)) : 0,
    };
  }
}
