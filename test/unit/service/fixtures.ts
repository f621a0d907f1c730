import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceOptions } from '../../../src/service/options.js';
import type { WinswOptions } from '../../../src/service/winsw-xml.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REPO_BIN = join(REPO, 'bin', 'tickdb.js');

/** The options of the checked-in systemd/tickdb.service (see docs/service.md for the command that prints it). */
export const LINUX_TEMPLATE: ServiceOptions = {
  root: '/var/lib/tickdb/ticks',
  configFile: '/etc/tickdb/config.json',
  user: 'tickdb',
  group: 'tickdb',
  nodePath: '/usr/bin/node',
  tickdbBin: '/opt/tickdb/bin/tickdb.js',
};

/** The options of the checked-in windows/tickdb.xml. */
export const WINDOWS_TEMPLATE: WinswOptions = {
  root: 'C:\\ProgramData\\tickdb\\data\\ticks',
  configFile: 'C:\\ProgramData\\tickdb\\config.json',
  user: 'LocalService',
  group: 'tickdb',
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  tickdbBin: 'C:\\Program Files\\tickdb\\bin\\tickdb.js',
  logDir: 'C:\\ProgramData\\tickdb\\logs',
};
