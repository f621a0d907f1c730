import { describe, expect, it } from 'vitest';
import { explainAudit } from '../../../src/inspect/audit-findings.js';
import { hashLine, type AuditLine } from '../../../src/store/audit.js';
import { GENESIS_HASH } from '../../../src/store/metadata-types.js';

/** A well-formed trail of `n` lines, as appendAudit writes it. */
function trail(n: number): string[] {
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = {
      event: 'sealed',
      day: `2026-03-${String(seq).padStart(2, '0')}`,
      rows: 100 + seq,
      seq,
      at: '2026-03-10T12:00:00.000Z',
      prev,
    };
    const hash = hashLine(body);
    lines.push(JSON.stringify({ ...body, hash }));
    prev = hash;
  }
  return lines;
}

const text = (lines: string[]): string => `${lines.join('\n')}\n`;
const lastHash = (lines: string[]): string => (JSON.parse(lines[lines.length - 1] ?? '{}') as AuditLine).hash;

describe('explainAudit', () => {
  const good = trail(8);
  const checkpoint = { count: 8, lastHash: lastHash(good) };

  it('finds nothing in an intact trail', () => {
    expect(explainAudit(text(good), checkpoint)).toEqual([]);
    expect(explainAudit(text(good), undefined)).toEqual([]);
  });

  it('names an edited line', () => {
    const lines = [...good];
    lines[4] = (lines[4] ?? '').replace('"rows":105', '"rows":999');
    const f = explainAudit(text(lines), checkpoint);
    expect(f).toEqual([expect.objectContaining({ line: 5, kind: 'edited' })]);
  });

  it('names a line edited with its hash recomputed (the next line no longer chains to it)', () => {
    const lines = [...good];
    const l = JSON.parse(lines[4] ?? '{}') as AuditLine;
    const { hash: _old, ...body } = { ...l, rows: 999 };
    lines[4] = JSON.stringify({ ...body, hash: hashLine(body) });
    expect(explainAudit(text(lines), checkpoint)).toEqual([expect.objectContaining({ line: 5, kind: 'edited' })]);
  });

  it('names a removed line and where', () => {
    const lines = good.filter((_, i) => i !== 4);
    const f = explainAudit(text(lines), checkpoint);
    expect(f).toEqual([expect.objectContaining({ line: 5, kind: 'removed' })]);
    expect(f[0]?.message).toMatch(/1 line\(s\) removed before line 5 \(seq 5 missing/);
  });

  it('names reordered lines', () => {
    const lines = [...good];
    [lines[4], lines[5]] = [lines[5] ?? '', lines[4] ?? ''];
    const f = explainAudit(text(lines), checkpoint);
    expect(f.map((x) => [x.line, x.kind])).toEqual([
      [5, 'reordered'],
      [6, 'reordered'],
    ]);
  });

  it('names a duplicated line', () => {
    const lines = [...good.slice(0, 5), good[4] ?? '', ...good.slice(5)];
    expect(explainAudit(text(lines), checkpoint)).toEqual([expect.objectContaining({ line: 6, kind: 'duplicated' })]);
  });

  it('names a truncated end: whole lines missing, or the last line cut short', () => {
    const cut = good.slice(0, 6);
    expect(explainAudit(text(cut), checkpoint)).toEqual([expect.objectContaining({ line: 6, kind: 'truncated' })]);
    const torn = text(good).slice(0, -40);
    expect(explainAudit(torn, checkpoint)).toEqual([expect.objectContaining({ line: 8, kind: 'truncated' })]);
  });

  it('names a rewritten tail: the line at the checkpoint is not the recorded one', () => {
    expect(explainAudit(text(good), { count: 8, lastHash: 'f'.repeat(64) })).toEqual([
      expect.objectContaining({ line: 8, kind: 'rewritten' }),
    ]);
  });

  it('accepts lines beyond the checkpoint (a crash before the metadata write)', () => {
    expect(explainAudit(text(good), { count: 6, lastHash: (JSON.parse(good[5] ?? '{}') as AuditLine).hash })).toEqual(
      [],
    );
  });

  it('reports a line that is not JSON', () => {
    const lines = [...good];
    lines[2] = 'not json at all';
    expect(explainAudit(text(lines), checkpoint)).toContainEqual(
      expect.objectContaining({ line: 3, kind: 'not-json' }),
    );
  });
});
