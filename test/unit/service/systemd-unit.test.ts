import { describe, expect, it } from 'vitest';
import { execWord, pathWord } from '../../../src/service/systemd-escape.js';
import { execStart, readWritePaths, renderSystemdUnit } from '../../../src/service/systemd-unit.js';
import { LINUX_TEMPLATE } from './fixtures.js';

/** `Key=value` lines of a unit file, in order (a key may repeat). */
function settings(unit: string): [string, string][] {
  return unit
    .split('\n')
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}

function values(unit: string, key: string): string[] {
  return settings(unit)
    .filter(([k]) => k === key)
    .map(([, v]) => v);
}

describe('renderSystemdUnit', () => {
  const unit = renderSystemdUnit(LINUX_TEMPLATE);

  it('runs `tickdb run` as Type=exec with the root and the config file', () => {
    expect(values(unit, 'Type')).toEqual(['exec']);
    expect(values(unit, 'ExecStart')).toEqual([
      '/usr/bin/node /opt/tickdb/bin/tickdb.js run --root /var/lib/tickdb/ticks --config /etc/tickdb/config.json',
    ]);
    expect(values(unit, 'ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
  });

  it('restarts on failure, except after a configuration error (exit 2), and waits longer than the 30 s graceful stop', () => {
    expect(values(unit, 'Restart')).toEqual(['on-failure']);
    expect(values(unit, 'RestartPreventExitStatus')).toEqual(['2']);
    const stop = values(unit, 'TimeoutStopSec')[0] ?? '';
    expect(Number.parseInt(stop, 10)).toBeGreaterThan(30);
  });

  it('logs to journald, as a dedicated user and group, at low CPU and I/O priority', () => {
    expect(values(unit, 'StandardOutput')).toEqual(['journal']);
    expect(values(unit, 'StandardError')).toEqual(['journal']);
    expect(values(unit, 'User')).toEqual(['tickdb']);
    expect(values(unit, 'Group')).toEqual(['tickdb']);
    expect(Number(values(unit, 'Nice')[0])).toBeGreaterThan(0);
    expect(values(unit, 'IOSchedulingClass')).toEqual(['best-effort']);
    expect(values(unit, 'IOSchedulingPriority')).toEqual(['7']);
  });

  it('is hardened, but lets V8 JIT and the agent lower its own priority', () => {
    for (const [key, value] of [
      ['ProtectSystem', 'strict'],
      ['PrivateTmp', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['ProtectHome', 'yes'],
      ['CapabilityBoundingSet', ''],
      ['SystemCallArchitectures', 'native'],
    ]) {
      expect(values(unit, key as string), key).toEqual([value]);
    }
    expect(values(unit, 'MemoryDenyWriteExecute')).toEqual([]);
    const filters = values(unit, 'SystemCallFilter');
    expect(filters[0]).toBe('@system-service');
    expect(filters.at(-1)).toMatch(/\bsetpriority\b/);
    expect(filters.at(-1)).toMatch(/\bioprio_set\b/);
    expect(values(unit, 'ReadWritePaths')).toEqual(['/var/lib/tickdb/ticks']);
  });

  it("uses the writer's group when given", () => {
    expect(values(renderSystemdUnit({ ...LINUX_TEMPLATE, group: 'md-writers' }), 'Group')).toEqual(['md-writers']);
  });

  it('rejects relative paths and bad account names', () => {
    expect(() => renderSystemdUnit({ ...LINUX_TEMPLATE, root: 'data/ticks' })).toThrow(/root must be an absolute path/);
    expect(() => renderSystemdUnit({ ...LINUX_TEMPLATE, user: 'bad user' })).toThrow(/not a valid user or group name/);
    expect(() => renderSystemdUnit({ ...LINUX_TEMPLATE, root: '/a\nb' })).toThrow(/control character/);
    expect(() => renderSystemdUnit({ ...LINUX_TEMPLATE, nodePath: "/opt/it's/node" })).toThrow(/quote or a backslash/);
  });
});

describe('ReadWritePaths', () => {
  it('lists the root and each tier outside it once; the metrics file by its directory', () => {
    expect(
      readWritePaths({
        root: '/data/ticks/',
        backupDir: '/data/ticks/backup',
        archiveDir: '/mnt/nas/host1/archive',
        metricsFile: '/var/lib/node_exporter/textfile/tickdb.prom',
      }),
    ).toEqual(['/data/ticks', '/mnt/nas/host1/archive', '/var/lib/node_exporter/textfile']);
    expect(readWritePaths({ root: '/a', backupDir: '/b', archiveDir: '/b', metricsFile: '/b/m.prom' })).toEqual([
      '/a',
      '/b',
    ]);
    expect(readWritePaths({ root: '/a/r', archiveDir: '/a' })).toEqual(['/a']);
  });

  it('marks the tiers other than the root optional and quotes paths with spaces', () => {
    const unit = renderSystemdUnit({ ...LINUX_TEMPLATE, root: '/srv/tick data', archiveDir: '/mnt/nas 1/arch%ive' });
    expect(values(unit, 'ReadWritePaths')).toEqual(['"/srv/tick data"', '"-/mnt/nas 1/arch%%ive"']);
  });
});

describe('systemd quoting', () => {
  it('leaves plain words bare and quotes the rest', () => {
    expect(execWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(execWord('/srv/tick data')).toBe('"/srv/tick data"');
    expect(execWord('/srv/a"b\\c')).toBe('"/srv/a\\"b\\\\c"');
    expect(execWord('/srv/a;b')).toBe('"/srv/a;b"');
  });

  it('escapes specifiers and environment substitution in command lines, specifiers only in paths', () => {
    expect(execWord('/srv/50%/$HOME')).toBe('/srv/50%%/$$HOME');
    expect(pathWord('/srv/50%/$HOME')).toBe('/srv/50%%/$HOME');
    expect(execStart({ ...LINUX_TEMPLATE, root: '/srv/x y', configFile: undefined })).toBe(
      '/usr/bin/node /opt/tickdb/bin/tickdb.js run --root "/srv/x y"',
    );
    // No environment substitution in the executable itself: `$` stays single there.
    expect(execStart({ ...LINUX_TEMPLATE, nodePath: '/opt/n 1/$v%/node', configFile: undefined })).toMatch(
      /^"\/opt\/n 1\/\$v%%\/node" /,
    );
  });
});
