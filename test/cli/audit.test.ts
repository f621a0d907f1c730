import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashLine, type AuditLine } from '../../src/store/audit.js';
import { parseJson, runCli } from '../helpers/cli.js';
import { usePristineTree } from '../helpers/pristine-tree.js';

const NOW = '2026-03-10T12:00:00Z';
const ENV = { TICKDB_COMPRESSION_LEVEL: '3' };
const tree = usePristineTree({ days: 3, rows: 200, now: NOW, env: ENV });

interface Finding {
  line: number;
  kind: string;
  message: string;
}
interface Report {
  ok: boolean;
  lines: number;
  findings: Finding[];
  beyondCheckpoint: number;
  notes: string[];
}

const trailPath = (): string => join(tree.root, 'db', 'audit.jsonl');

const lines = (): string[] => readFileSync(trailPath(), 'utf8').split('\n').slice(0, -1);
const save = (ls: string[]): void => writeFileSync(trailPath(), `${ls.join('\n')}\n`);

/** `audit verify --json`, and the human output too when `human` (each spawn costs about a second). */
function auditVerify(human = true): { code: number | null; report: Report; human: string } {
  const r = runCli(['audit', 'verify', '--json', '--root', tree.root]);
  if (!human) return { code: r.code, report: parseJson<Report>(r.stdout), human: '' };
  const h = runCli(['audit', 'verify', '--root', tree.root]);
  expect(h.code).toBe(r.code);
  return { code: r.code, report: parseJson<Report>(r.stdout), human: h.stdout };
}

describe('tickdb audit verify', () => {
  it('exits 0 on an intact trail', () => {
    expect(lines().length).toBeGreaterThanOrEqual(8);
    const { code, report, human } = auditVerify();
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, findings: [], beyondCheckpoint: 0 });
    expect(human).toMatch(/^OK: .*audit\.jsonl: \d+ line\(s\), chain intact, matches the metadata checkpoint/m);
  });

  it('detects an edited line', () => {
    const ls = lines();
    ls[3] = (ls[3] ?? '').replace(/"at":"[^"]+"/, '"at":"2026-01-01T00:00:00.000Z"');
    save(ls);
    const { code, report, human } = auditVerify();
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ line: 4, kind: 'edited' })]);
    expect(human).toMatch(/^4\s+edited\s+line 4/m);
  });

  it('detects a removed line', () => {
    save(lines().filter((_, i) => i !== 3));
    const { code, report, human } = auditVerify();
    expect(code).toBe(1);
    expect(report.findings).toEqual([expect.objectContaining({ line: 4, kind: 'removed' })]);
    expect(human).toMatch(/^4\s+removed\s+1 line\(s\) removed before line 4/m);
  });

  it('detects reordered lines', () => {
    const ls = lines();
    [ls[3], ls[4]] = [ls[4] ?? '', ls[3] ?? ''];
    save(ls);
    const { code, report } = auditVerify(false);
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.line, f.kind])).toEqual([
      [4, 'reordered'],
      [5, 'reordered'],
    ]);
  });

  it('detects a truncated trail: the last line removed, or cut short', () => {
    const ls = lines();
    save(ls.slice(0, -1));
    const removed = auditVerify(false);
    expect(removed.code).toBe(1);
    expect(removed.report.findings).toEqual([
      expect.objectContaining({ kind: 'truncated', message: expect.stringMatching(/1 line\(s\) missing at the end/) }),
    ]);

    writeFileSync(trailPath(), `${ls.join('\n')}\n`.slice(0, -30));
    const cut = auditVerify();
    expect(cut.code).toBe(1);
    expect(cut.report.findings).toEqual([expect.objectContaining({ line: ls.length, kind: 'truncated' })]);
    expect(cut.human).toMatch(/truncated\s+line \d+ is cut short/);
  });

  it('reports lines beyond the metadata checkpoint as a note, not a failure', () => {
    const ls = lines();
    const last = JSON.parse(ls[ls.length - 1] ?? '{}') as AuditLine;
    const body = {
      event: 'sealed',
      dataset: 'ticks',
      day: '2026-03-09',
      seq: last.seq + 1,
      at: '2026-03-10T12:00:05.000Z',
      prev: last.hash,
    };
    save([...ls, JSON.stringify({ ...body, hash: hashLine(body) })]);
    const { code, report, human } = auditVerify();
    expect(code).toBe(0);
    expect(report).toMatchObject({ ok: true, beyondCheckpoint: 1 });
    expect(human).toMatch(/note: 1 line\(s\) after the metadata checkpoint/);
  });
});
