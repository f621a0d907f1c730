import { describe, expect, it } from 'vitest';
import { anchorGroups, parseAnchor } from '../../../src/store/audit-anchor.js';
import { hashLine, type AuditLine } from '../../../src/store/audit.js';
import { GENESIS_HASH } from '../../../src/store/metadata-types.js';

// The pure half of the audit anchoring (DESIGN 12): which lines make which day's object, and reading one back.
function trail(ats: string[]): { text: string; lines: AuditLine[] } {
  const lines: AuditLine[] = [];
  let prev = GENESIS_HASH;
  ats.forEach((at, i) => {
    const body = { event: 'x', seq: i + 1, at, prev };
    const line = { ...body, hash: hashLine(body) };
    lines.push(line);
    prev = line.hash;
  });
  return { text: lines.map((l) => `${JSON.stringify(l)}\n`).join(''), lines };
}

describe('anchorGroups', () => {
  const { text, lines } = trail([
    '2026-03-01T10:00:00.000Z',
    '2026-03-01T11:00:00.000Z',
    '2026-03-02T02:30:00.000Z',
    '2026-03-03T02:30:00.000Z',
  ]);

  it('one group per finished day, today left out, each ending with the head', () => {
    const { groups, problem } = anchorGroups(text, undefined, '2026-03-03');
    expect(problem).toBeUndefined();
    expect(groups.map((g) => [g.day, g.firstSeq, g.lastSeq, g.head])).toEqual([
      ['2026-03-01', 1, 2, lines[1]?.hash],
      ['2026-03-02', 3, 3, lines[2]?.hash],
    ]);
    const parsed = parseAnchor(groups[0]?.body ?? '');
    expect(parsed.problem).toBeUndefined();
    expect(parsed.lines.map((l) => l.seq)).toEqual([1, 2]);
    expect(parsed.head).toMatchObject({ day: '2026-03-01', seq: 2, head: lines[1]?.hash });
  });

  it('goes on after the last anchored head, and stops at a line that does not chain', () => {
    const after = { seq: 2, hash: lines[1]?.hash ?? '' };
    expect(anchorGroups(text, after, '2026-03-04').groups.map((g) => g.day)).toEqual(['2026-03-02', '2026-03-03']);
    const edited = text.replace('"event":"x","seq":3', '"event":"y","seq":3');
    const r = anchorGroups(edited, after, '2026-03-04');
    expect(r.groups).toEqual([]);
    expect(r.problem).toMatch(/line 3 \(seq 3\) does not chain/);
    expect(anchorGroups(text, { seq: 2, hash: 'f'.repeat(64) }, '2026-03-04').problem).toMatch(/no longer holds/);
  });

  it('parseAnchor finds an object whose head is not its last line', () => {
    const body = anchorGroups(text, undefined, '2026-03-02').groups[0]?.body ?? '';
    const lines2 = body.trim().split('\n');
    const tampered = `${[lines2[0], lines2[2]].join('\n')}\n`;
    expect(parseAnchor(tampered).problem).toMatch(/head \(seq 2\) is not the hash of the last line/);
  });
});
