import { TickdbError } from '../errors.js';
import { addDays, dayStartMs, type Day } from '../layout/day.js';
import type { SqlValue } from './query-types.js';

/** Names bound for every day; a `--param` may not take them. */
export const DAY_PARAMS = ['day', 'day_start_ns', 'day_end_ns'] as const;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/;

function usage(message: string): TickdbError {
  return new TickdbError('USAGE', message, {
    hint: '--param NAME=VALUE (an integer is bound as an exact integer, a decimal as a real, anything else as text); force a type with NAME:int=, NAME:real= or NAME:text=',
  });
}

/**
 * Parses one `--param NAME=VALUE` (or `NAME:TYPE=VALUE`). An integer is bound as a BigInt, so that a nanosecond
 * timestamp (beyond 2^53) is exact; `:text` keeps `007` as text.
 */
export function parseParam(text: string): [string, SqlValue] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw usage(`--param ${JSON.stringify(text)}: expected NAME=VALUE`);
  const [name, type] = text.slice(0, eq).split(':', 2) as [string, string | undefined];
  const raw = text.slice(eq + 1);
  if (!NAME.test(name)) throw usage(`--param ${JSON.stringify(text)}: ${JSON.stringify(name)} is not a parameter name`);
  if ((DAY_PARAMS as readonly string[]).includes(name))
    throw usage(`--param ${name}: :${name} is bound for each day by tickdb`);
  const kind = type ?? (INTEGER.test(raw) ? 'int' : REAL.test(raw) ? 'real' : 'text');
  switch (kind) {
    case 'int':
      if (!INTEGER.test(raw)) throw usage(`--param ${name}: ${JSON.stringify(raw)} is not an integer`);
      return [name, BigInt(raw)];
    case 'real':
      if (!REAL.test(raw)) throw usage(`--param ${name}: ${JSON.stringify(raw)} is not a number`);
      return [name, Number(raw)];
    case 'text':
      return [name, raw];
    default:
      throw usage(`--param ${name}: unknown type ${JSON.stringify(kind)} (int, real or text)`);
  }
}

/** Every `--param`, by name; a name given twice is a usage error. */
export function parseParams(texts: readonly string[]): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {};
  for (const text of texts) {
    const [name, value] = parseParam(text);
    if (name in out) throw usage(`--param ${name} is given twice`);
    out[name] = value;
  }
  return out;
}

/** `:day`, and the day's bounds in nanoseconds since the epoch, half-open: `ts >= :day_start_ns AND ts < :day_end_ns`. */
export function dayParams(day: Day): Record<(typeof DAY_PARAMS)[number], SqlValue> {
  return {
    day,
    day_start_ns: BigInt(dayStartMs(day)) * 1_000_000n,
    day_end_ns: BigInt(dayStartMs(addDays(day, 1))) * 1_000_000n,
  };
}
