import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  type LaunchdOptions,
  launchdArguments,
  renderLaunchdPlist,
  renderNewsyslogConf,
} from '../../../src/service/launchd-plist.js';
import { needProgram } from '../../helpers/external-programs.js';

const MAC: LaunchdOptions = {
  root: '/Library/Application Support/tickdb/R&D <ticks>',
  configFile: '/usr/local/etc/tickdb/config.json',
  user: '_tickdb',
  group: 'mdwriters',
  nodePath: '/opt/homebrew/bin/node',
  tickdbBin: '/usr/local/tickdb/bin/tickdb.js',
  logDir: '/Library/Logs/tickdb',
};

/** The plist as macOS reads it: Python's plistlib (there is no plutil here), printed back as JSON. */
function parsePlist(xml: string): Record<string, unknown> {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read(), fmt=plistlib.FMT_XML)))',
    ],
    { input: xml, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`plistlib rejected the plist: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe.skipIf(!needProgram('python3'))('renderLaunchdPlist, parsed by plistlib', () => {
  it('is a LaunchDaemon that runs the agent, restarted on failure, in the background, logging to a file', () => {
    const plist = parsePlist(renderLaunchdPlist(MAC));
    expect(plist).toEqual({
      Label: 'tickdb',
      ProgramArguments: [MAC.nodePath, MAC.tickdbBin, 'run', '--root', MAC.root, '--config', MAC.configFile],
      EnvironmentVariables: { TICKDB_ROOT: MAC.root, TICKDB_CONFIG: MAC.configFile },
      UserName: '_tickdb',
      GroupName: 'mdwriters',
      WorkingDirectory: '/Library/Logs/tickdb',
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ThrottleInterval: 10,
      ExitTimeOut: 45,
      ProcessType: 'Background',
      LowPriorityIO: true,
      Nice: 10,
      Umask: 2,
      StandardOutPath: '/Library/Logs/tickdb/tickdb.log',
      StandardErrorPath: '/Library/Logs/tickdb/tickdb.log',
    });
  });

  it('leaves --root out when the config file gives the root', () => {
    const plist = parsePlist(renderLaunchdPlist({ ...MAC, rootFromConfig: true }));
    expect(plist.ProgramArguments).toEqual([MAC.nodePath, MAC.tickdbBin, 'run', '--config', MAC.configFile]);
  });
});

describe('launchd options', () => {
  it('refuses relative paths, control characters and bad account names', () => {
    expect(() => launchdArguments({ ...MAC, root: 'ticks' })).toThrow(/absolute/);
    expect(() => renderLaunchdPlist({ ...MAC, root: '/a\nb' })).toThrow(/control character/);
    expect(() => renderLaunchdPlist({ ...MAC, user: 'bad user' })).toThrow(/not a valid user or group name/);
  });

  it('rotates the log with newsyslog: owner, mode, 8 kept, 10 MiB, compressed, no process signalled', () => {
    const lines = renderNewsyslogConf(MAC)
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.split('\t')).toEqual([
      '/Library/Logs/tickdb/tickdb.log',
      '_tickdb:mdwriters',
      '640',
      '8',
      '10240',
      '*',
      'JN',
    ]);
  });
});
