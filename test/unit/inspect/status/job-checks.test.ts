import { describe, expect, it } from 'vitest';
import type { Backlog } from '../../../../src/inspect/status/backlog.js';
import { checkAgent, checkJobFailures, checkRotation } from '../../../../src/inspect/status/job-checks.js';
import { facts, file, jobOk, metadataOf, scanOf } from './fixtures.js';

const tree = scanOf([file('2026-03-09', 'db', 'db')]);
const withRotation = (lastSuccessAt: string, now: string) =>
  facts(now, { scan: tree, metadata: { metadata: metadataOf([], { rotate: jobOk(lastSuccessAt) }), found: true } });

describe('rotation check', () => {
  it('is OK within 25 h of the last success, WARNING after 25 h, CRITICAL after 49 h', () => {
    const last = '2026-03-10T00:15:00Z';
    expect(checkRotation(withRotation(last, '2026-03-11T00:20:00Z')).results[0]?.status).toBe('OK'); // next run in progress
    expect(checkRotation(withRotation(last, '2026-03-11T01:14:00Z')).results[0]?.status).toBe('OK');
    const warn = checkRotation(withRotation(last, '2026-03-11T01:16:00Z')).results[0];
    expect(warn?.status).toBe('WARNING');
    expect(warn?.message).toContain('25.0 h ago (2026-03-10T00:15:00Z), more than 25 h');
    expect(checkRotation(withRotation(last, '2026-03-12T01:14:00Z')).results[0]?.status).toBe('WARNING');
    expect(checkRotation(withRotation(last, '2026-03-12T01:16:00Z')).results[0]?.status).toBe('CRITICAL');
  });

  it('reports the age as performance data', () => {
    const out = checkRotation(withRotation('2026-03-10T00:00:00Z', '2026-03-10T01:00:00Z'));
    expect(out.perf).toEqual([{ label: 'rotation_age', value: 3600, uom: 's', warn: '90000', crit: '176400', min: 0 }]);
  });

  it('warns when a tree with days was never rotated, and when the last success is in the future (clock went back)', () => {
    const never = checkRotation(facts('2026-03-10T12:00:00Z', { scan: tree })).results[0];
    expect(never).toMatchObject({ status: 'WARNING', message: expect.stringContaining('never rotated') });
    expect(checkRotation(facts('2026-03-10T12:00:00Z')).results[0]).toMatchObject({ status: 'OK' }); // empty tree
    const failing = facts('2026-03-10T12:00:00Z', {
      scan: tree,
      metadata: {
        metadata: metadataOf([], { rotate: { ...jobOk('2026-03-10T00:15:00Z'), ok: false, lastSuccessAt: undefined } }),
        found: true,
      },
    });
    expect(checkRotation(failing).results[0]?.message).toContain('no rotation has ever succeeded');
    const future = checkRotation(withRotation('2026-03-10T12:00:00Z', '2026-03-10T11:00:00Z')).results[0];
    expect(future).toMatchObject({ status: 'WARNING', message: expect.stringContaining('in the future') });
    expect(checkRotation(withRotation('2026-03-10T12:00:02Z', '2026-03-10T12:00:00Z')).results[0]?.status).toBe('OK'); // same run's clock
  });

  it('is UNKNOWN without usable metadata', () => {
    const f = facts('2026-03-10T12:00:00Z', {
      scan: tree,
      metadata: { metadata: metadataOf([]), found: false, problem: 'x is not JSON' },
    });
    expect(checkRotation(f).results[0]?.status).toBe('UNKNOWN');
  });
});

describe('agent check', () => {
  const none: Backlog = { computed: true, overdue: [], blocking: [] };
  const some: Backlog = {
    computed: true,
    overdue: [{ dataset: 'ticks', day: '2026-03-07', age: 3, kinds: ['seal'], path: '/p' }],
    blocking: [],
  };
  const info = { pid: 7, startedAt: '2026-03-01T00:00:00Z', command: 'run', host: 'elsewhere' };

  it('is OK while a live `run` holds the lock', () => {
    const out = checkAgent(facts('2026-03-10T12:00:00Z', { lock: { info, live: true } }), some);
    expect(out.results[0]).toMatchObject({ status: 'OK', message: expect.stringContaining('pid 7 on elsewhere') });
  });

  it('is WARNING when no agent runs, CRITICAL when work is overdue', () => {
    expect(checkAgent(facts('2026-03-10T12:00:00Z', { lock: undefined }), none).results[0]?.status).toBe('WARNING');
    const crit = checkAgent(facts('2026-03-10T12:00:00Z', { lock: undefined }), some).results[0];
    expect(crit).toMatchObject({ status: 'CRITICAL', message: expect.stringContaining('and 1 day is overdue') });
  });

  it('a dead holder or a one-shot command is not the agent', () => {
    const dead = checkAgent(facts('2026-03-10T12:00:00Z', { lock: { info, live: false } }), none).results[0];
    expect(dead?.message).toContain('is stale');
    const oneShot = checkAgent(
      facts('2026-03-10T12:00:00Z', { lock: { info: { ...info, command: 'compress' }, live: true } }),
      none,
    ).results[0];
    expect(oneShot).toMatchObject({ status: 'WARNING', message: expect.stringContaining('`compress`') });
  });
});

describe('job failures check', () => {
  it('is WARNING for a failed compress, archive or purge and CRITICAL for a failed rotate, with the errors', () => {
    const failed = (errors: string[]) => ({ ...jobOk('2026-03-10T02:00:00Z'), ok: false, errors });
    const f = facts('2026-03-10T12:00:00Z', {
      metadata: {
        found: true,
        metadata: metadataOf([], {
          rotate: jobOk('2026-03-10T00:15:00Z'),
          compress: failed(['no space left on device: /r/db/2026/03/.x.tmp']),
        }),
      },
    });
    const out = checkJobFailures(f).results;
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ status: 'WARNING', message: expect.stringContaining('no space left on device') });
    const rot = facts('2026-03-10T12:00:00Z', {
      metadata: { found: true, metadata: metadataOf([], { rotate: failed(['a', 'b', 'c', 'd']) }) },
    });
    expect(checkJobFailures(rot).results[0]).toMatchObject({
      status: 'CRITICAL',
      message: expect.stringContaining('a; b; c; and 1 more'),
    });
    expect(checkJobFailures(facts('2026-03-10T12:00:00Z')).results[0]).toMatchObject({
      status: 'OK',
      message: 'no job has run yet',
    });
  });
});
