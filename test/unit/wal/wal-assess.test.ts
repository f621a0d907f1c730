import { describe, expect, it } from 'vitest';
import { assessWal } from '../../../src/wal/wal-assess.js';
import type { WalSample } from '../../../src/wal/wal-samples.js';

const DAY = '2026-03-10';
const gen = (salt1: number) => ({ checkpointSeq: salt1, salt1, salt2: 7 });
const at = (min: number): string => new Date(Date.parse(`${DAY}T08:00:00Z`) + min * 60_000).toISOString();
const sample = (min: number, frames: number, salt1 = 1, extra: Partial<WalSample> = {}): WalSample => ({
  dataset: 'ticks',
  day: DAY,
  at: at(min),
  walBytes: 32 + frames * 4120,
  committedFrames: frames,
  generation: gen(salt1),
  ...extra,
});
const now = (min: number): Date => new Date(at(min));

describe('assessWal', () => {
  it('has nothing to say without samples', () => {
    expect(assessWal([], 'ticks', DAY, now(0))).toMatchObject({
      stale: true,
      growingMs: 0,
      starved: false,
      writerTooOld: false,
    });
  });

  it('calls an hour of growth in one generation past the autocheckpoint threshold starvation', () => {
    const s = [sample(0, 900), sample(30, 1500), sample(61, 2200)];
    const a = assessWal(s, 'ticks', DAY, now(62));
    expect(a).toMatchObject({ stale: false, growingMs: 61 * 60_000, starved: true });
    expect(a.growth).toEqual({
      since: at(0),
      fromFrames: 900,
      toFrames: 2200,
      fromBytes: 32 + 900 * 4120,
      toBytes: 32 + 2200 * 4120,
    });
  });

  it('is not starvation when the last checkpoint copied every frame back (the WAL restarts at the next write)', () => {
    const s = [sample(0, 900), sample(30, 1500), sample(61, 2200, 1, { backfilledFrames: 2200 })];
    expect(assessWal(s, 'ticks', DAY, now(62))).toMatchObject({ checkpointBehind: false, starved: false });
    const behind = [sample(0, 900), sample(61, 2200, 1, { backfilledFrames: 120 })];
    expect(assessWal(behind, 'ticks', DAY, now(62))).toMatchObject({ checkpointBehind: true, starved: true });
  });

  it('is not starvation when a checkpoint reset the WAL (a new generation) within the hour', () => {
    const s = [sample(0, 900), sample(30, 1000, 2), sample(61, 2200, 2)];
    const a = assessWal(s, 'ticks', DAY, now(62));
    expect(a.growingMs).toBe(31 * 60_000);
    expect(a.starved).toBe(false);
  });

  it('is not starvation below the autocheckpoint threshold, nor under an hour, nor when the WAL did not grow', () => {
    expect(assessWal([sample(0, 100), sample(70, 900)], 'ticks', DAY, now(70)).starved).toBe(false);
    expect(assessWal([sample(0, 1500), sample(50, 2500)], 'ticks', DAY, now(50)).starved).toBe(false);
    expect(assessWal([sample(0, 2500), sample(90, 2500)], 'ticks', DAY, now(90))).toMatchObject({
      growingMs: 0,
      starved: false,
    });
  });

  it('starts the growth after a fall in frames (a reset we did not see the generation of)', () => {
    const s = [sample(0, 3000), sample(10, 1200), sample(75, 2400)];
    expect(assessWal(s, 'ticks', DAY, now(75))).toMatchObject({ growingMs: 65 * 60_000, starved: true });
  });

  it('says nothing of starvation from stale samples (the agent is not sampling)', () => {
    const a = assessWal([sample(0, 900), sample(61, 2200)], 'ticks', DAY, now(61 + 16));
    expect(a).toMatchObject({ stale: true, starved: false });
  });

  it('keeps samples of other datasets and days apart, and ignores samples after now', () => {
    const other = { ...sample(0, 100), dataset: 'fx' };
    const yesterday = { ...sample(0, 100), day: '2026-03-09' };
    const a = assessWal([other, yesterday, sample(5, 1200), sample(200, 5000)], 'ticks', DAY, now(10));
    expect(a.sampledAt).toBe(at(5));
    expect(a.growingMs).toBe(0);
  });

  it('flags a writer SQLite older than 3.51.3 only when the header is valid', () => {
    const old = { number: 3_040_001, text: '3.40.1', source: 'wal' as const, valid: true };
    expect(assessWal([sample(0, 10, 1, { writer: old })], 'ticks', DAY, now(1)).writerTooOld).toBe(true);
    expect(assessWal([sample(0, 10, 1, { writer: { ...old, valid: false } })], 'ticks', DAY, now(1)).writerTooOld).toBe(
      false,
    );
    const current = { number: 3_051_003, text: '3.51.3', source: 'database' as const, valid: true };
    expect(assessWal([sample(0, 10, 1, { writer: current })], 'ticks', DAY, now(1)).writerTooOld).toBe(false);
  });
});
