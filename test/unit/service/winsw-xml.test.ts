import { spawnSync } from 'node:child_process';
import { win32 } from 'node:path';
import { describe, expect, it } from 'vitest';
import { absoluteWindowsPath, windowsArg, windowsDefaultRoot } from '../../../src/service/windows-path.js';
import { renderWinswXml, winswArguments } from '../../../src/service/winsw-xml.js';
import { xmlEscape, xmlText } from '../../../src/service/xml-escape.js';
import { WINDOWS_TEMPLATE } from './fixtures.js';
import { child, childrenNamed, parseXml } from './xml-parse.js';
import { needProgram } from '../../helpers/external-programs.js';

/**
 * There is no Windows host here: the WinSW configuration is checked as XML (well-formed with the strict reader
 * of xml-parse.ts, the elements and values WinSW 2.x reads), and the Windows paths with path.win32.
 */
describe('renderWinswXml', () => {
  const doc = renderWinswXml(WINDOWS_TEMPLATE);
  const service = parseXml(doc);
  const text = (name: string): string => child(service, name).text;

  it('is a well-formed WinSW document with the service identity', () => {
    expect(doc.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(service.name).toBe('service');
    expect(text('id')).toBe('tickdb');
    expect(text('name')).toBe('tickdb');
    expect(text('description')).toMatch(/daily SQLite tick databases/);
  });

  it('runs node.exe on bin\\tickdb.js run --root --config', () => {
    expect(text('executable')).toBe('C:\\Program Files\\nodejs\\node.exe');
    expect(text('arguments')).toBe(
      '"C:\\Program Files\\tickdb\\bin\\tickdb.js" run --root C:\\ProgramData\\tickdb\\data\\ticks --config C:\\ProgramData\\tickdb\\config.json',
    );
    const env = Object.fromEntries(childrenNamed(service, 'env').map((e) => [e.attrs.name, e.attrs.value]));
    expect(env).toEqual({
      TICKDB_ROOT: 'C:\\ProgramData\\tickdb\\data\\ticks',
      TICKDB_CONFIG: 'C:\\ProgramData\\tickdb\\config.json',
    });
  });

  it('starts automatically, restarts a few times on failure, stops after more than 30 s', () => {
    expect(text('startmode')).toBe('Automatic');
    const failures = childrenNamed(service, 'onfailure').map((e) => e.attrs);
    expect(failures.slice(0, 3)).toEqual([
      { action: 'restart', delay: '10 sec' },
      { action: 'restart', delay: '30 sec' },
      { action: 'restart', delay: '60 sec' },
    ]);
    expect(failures[3]).toEqual({ action: 'none' });
    const stop = /^(\d+) sec$/.exec(text('stoptimeout'));
    expect(Number(stop?.[1])).toBeGreaterThan(30);
    expect(text('priority')).toBe('BelowNormal');
  });

  it('rolls its logs by size', () => {
    const log = child(service, 'log');
    expect(log.attrs.mode).toBe('roll-by-size');
    expect(Number(child(log, 'sizeThreshold').text)).toBeGreaterThan(0);
    expect(Number(child(log, 'keepFiles').text)).toBeGreaterThan(0);
    expect(text('logpath')).toBe('C:\\ProgramData\\tickdb\\logs');
  });

  it('runs as LocalService by default, or a password-less account', () => {
    const account = (user: string): Record<string, string> =>
      Object.fromEntries(
        child(parseXml(renderWinswXml({ ...WINDOWS_TEMPLATE, user })), 'serviceaccount').children.map((c) => [
          c.name,
          c.text,
        ]),
      );
    expect(account('LocalService')).toEqual({ domain: 'NT AUTHORITY', user: 'LocalService' });
    expect(account('NT AUTHORITY\\NetworkService')).toEqual({ domain: 'NT AUTHORITY', user: 'NetworkService' });
    expect(account('LocalSystem')).toEqual({ user: 'LocalSystem' });
    expect(account('CORP\\svc-tickdb$')).toEqual({ domain: 'CORP', user: 'svc-tickdb$', allowservicelogon: 'true' });
    expect(() => renderWinswXml({ ...WINDOWS_TEMPLATE, user: 'tickdb' })).toThrow(/without a stored password/);
  });

  it('escapes a root with "&", quotes, "<" and spaces, and keeps it well-formed', () => {
    const root = 'D:\\Market Data & Co\\<ticks> "x"';
    const odd = renderWinswXml({ ...WINDOWS_TEMPLATE, root, configFile: undefined });
    expect(odd).toContain('value="D:\\Market Data &amp; Co\\&lt;ticks&gt; &quot;x&quot;"');
    expect(odd).toContain('--root "D:\\Market Data &amp; Co\\&lt;ticks&gt; \\"x\\""</arguments>');
    const parsed = parseXml(odd);
    const env = childrenNamed(parsed, 'env');
    expect(env.map((e) => e.attrs)).toEqual([{ name: 'TICKDB_ROOT', value: root }]);
    // node.exe gets the root back as one argument: quoted, the inner quotes backslash-escaped.
    expect(child(parsed, 'arguments').text).toBe(
      '"C:\\Program Files\\tickdb\\bin\\tickdb.js" run --root "D:\\Market Data & Co\\<ticks> \\"x\\""',
    );
  });

  it('refuses relative or drive-relative roots', () => {
    for (const root of ['data\\ticks', 'C:data', '\\data\\ticks', '/var/lib/tickdb']) {
      expect(() => renderWinswXml({ ...WINDOWS_TEMPLATE, root }), root).toThrow(/absolute Windows path/);
    }
  });
});

/** A second, independent opinion where Python is installed: its expat parser must accept the documents too. */
describe.skipIf(!needProgram('python3'))("renderWinswXml, checked by Python's expat", () => {
  it.each([
    ['the default', WINDOWS_TEMPLATE],
    ['an odd root', { ...WINDOWS_TEMPLATE, root: 'D:\\R&D <ticks> "x" \'y\'', user: 'CORP\\svc&tick$' }],
  ])('accepts %s', (_what, opts) => {
    const check = 'import sys, xml.dom.minidom; xml.dom.minidom.parseString(sys.stdin.buffer.read())';
    const r = spawnSync('python3', ['-c', check], { input: renderWinswXml(opts), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('Windows paths (path.win32)', () => {
  it('normalizes separators and trailing backslashes, keeps UNC shares', () => {
    expect(absoluteWindowsPath('root', 'C:/ProgramData/tickdb//data/')).toBe('C:\\ProgramData\\tickdb\\data');
    expect(absoluteWindowsPath('root', 'c:\\')).toBe('c:\\');
    expect(absoluteWindowsPath('root', '\\\\nas01\\ticks\\host1')).toBe('\\\\nas01\\ticks\\host1');
    expect(absoluteWindowsPath('root', 'D:\\a\\..\\b')).toBe('D:\\b');
  });

  it('defaults the data root under %ProgramData%', () => {
    expect(windowsDefaultRoot({})).toBe('C:\\ProgramData\\tickdb\\data\\ticks');
    expect(windowsDefaultRoot({ ProgramData: 'E:\\PD' })).toBe('E:\\PD\\tickdb\\data\\ticks');
    expect(win32.isAbsolute(windowsDefaultRoot({}))).toBe(true);
  });

  it('quotes command-line arguments as the C runtime splits them', () => {
    expect(windowsArg('C:\\ticks')).toBe('C:\\ticks');
    expect(windowsArg('C:\\tick data')).toBe('"C:\\tick data"');
    expect(windowsArg('C:\\tick data\\')).toBe('"C:\\tick data\\\\"');
    expect(windowsArg('a"b')).toBe('"a\\"b"');
    expect(windowsArg('a\\"b')).toBe('"a\\\\\\"b"');
    expect(windowsArg('')).toBe('""');
    expect(winswArguments({ ...WINDOWS_TEMPLATE, configFile: undefined, root: 'E:\\x y\\' })).toBe(
      '"C:\\Program Files\\tickdb\\bin\\tickdb.js" run --root "E:\\x y"',
    );
  });
});

describe('xmlEscape', () => {
  it('escapes markup and refuses control characters', () => {
    expect(xmlEscape(`a&b<c>d"e'f`)).toBe('a&amp;b&lt;c&gt;d&quot;e&apos;f');
    expect(xmlText(`a&b<c>d"e'f`)).toBe(`a&amp;b&lt;c&gt;d"e'f`);
    expect(() => xmlEscape('a\u0001b')).toThrow(/control character/);
  });
});
