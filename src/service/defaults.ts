import { resolve, win32 } from 'node:path';
import { TickdbError } from '../errors.js';
import type { ArchiveTargetConfig } from '../config/archive-target-schema.js';
import type { TierDirs } from '../layout/tiers.js';
import { tickdbBinPath } from './locate.js';
import {
  LAUNCHD_DAEMONS_DIR,
  type LaunchdOptions,
  MACOS_BIN_PLACEHOLDER,
  MACOS_DEFAULT_USER,
  MACOS_LOG_DIR,
  MACOS_NODE_PLACEHOLDER,
} from './launchd-plist.js';
import { DEFAULT_GROUP, DEFAULT_USER, type ServiceOptions, type ServicePlatform } from './options.js';
import type { S3Access } from './systemd-network.js';
import { WINDOWS_DEFAULT_ACCOUNT, type WinswOptions } from './winsw-xml.js';
import { windowsDefaultRoot, windowsHome } from './windows-path.js';

/** The `tickdb service` flags that shape the service (all optional). */
export interface ServiceFlags {
  root?: string | undefined;
  user?: string | undefined;
  group?: string | undefined;
  node?: string | undefined;
  tickdbBin?: string | undefined;
  serviceConfig?: string | undefined;
  unitDir?: string | undefined;
}

/** Where the generating process runs, injectable so that tests can act as a Windows host. */
export interface HostFacts {
  platform: NodeJS.Platform;
  execPath: string;
  env: NodeJS.ProcessEnv;
}

export function currentHost(): HostFacts {
  return { platform: process.platform, execPath: process.execPath, env: process.env };
}

export const DEFAULT_SYSTEMD_UNIT_DIR = '/etc/systemd/system';
/** Placeholders for a Windows service generated on another OS; `--node` and `--tickdb-bin` replace them. */
export const WINDOWS_NODE_PLACEHOLDER = 'C:\\Program Files\\nodejs\\node.exe';
export const WINDOWS_BIN_PLACEHOLDER = 'C:\\Program Files\\tickdb\\bin\\tickdb.js';

export function defaultPlatform(host: HostFacts = currentHost()): ServicePlatform {
  if (host.platform === 'win32') return 'windows';
  return host.platform === 'darwin' ? 'macos' : 'linux';
}

/**
 * Linux: the tiers of the loaded configuration (the config's root resolved to absolute, `--root` winning), the
 * config file that was loaded, this node and this installation's launcher. `rootFromConfig`: the root is the config
 * file's own absolute `root`, so the unit leaves `--root` out and reads it from the file.
 */
export function linuxServiceOptions(
  flags: ServiceFlags,
  dirs: TierDirs,
  configFile: string | undefined,
  host: HostFacts = currentHost(),
  rootFromConfig = false,
): ServiceOptions {
  return {
    root: dirs.root,
    backupDir: dirs.backup,
    archiveDir: dirs.archive,
    metricsFile: dirs.metricsFile,
    configFile: flags.serviceConfig === undefined ? configFile : resolve(flags.serviceConfig),
    user: flags.user ?? DEFAULT_USER,
    group: flags.group ?? DEFAULT_GROUP,
    nodePath: flags.node === undefined ? host.execPath : resolve(flags.node),
    tickdbBin: flags.tickdbBin === undefined ? tickdbBinPath() : resolve(flags.tickdbBin),
    ...(rootFromConfig ? { rootFromConfig } : {}),
  };
}

/** What the unit must allow for the configured archive target: undefined unless it is an S3 bucket. */
export function s3Access(target: ArchiveTargetConfig | undefined): S3Access | undefined {
  return target?.type === 's3' ? { endpoint: target.endpoint } : undefined;
}

/**
 * macOS: the tiers of the loaded configuration, as on Linux; the account `_tickdb`; logs in /Library/Logs/tickdb.
 * On a Mac this node and this launcher, elsewhere the usual install locations unless `--node` / `--tickdb-bin` say.
 */
export function macosServiceOptions(
  flags: ServiceFlags,
  dirs: TierDirs,
  configFile: string | undefined,
  host: HostFacts = currentHost(),
  rootFromConfig = false,
): LaunchdOptions {
  const onMac = host.platform === 'darwin';
  const linux = linuxServiceOptions(flags, dirs, configFile, host, rootFromConfig);
  return {
    ...linux,
    user: flags.user ?? MACOS_DEFAULT_USER,
    group: flags.group ?? MACOS_DEFAULT_USER,
    nodePath: flags.node !== undefined || onMac ? linux.nodePath : MACOS_NODE_PLACEHOLDER,
    tickdbBin: flags.tickdbBin !== undefined || onMac ? linux.tickdbBin : MACOS_BIN_PLACEHOLDER,
    logDir: MACOS_LOG_DIR,
  };
}

/**
 * Windows: `--root` as given (a Windows path) or `%ProgramData%\tickdb\data\ticks`; on a Windows host this node
 * and this launcher, elsewhere the usual install locations unless `--node` / `--tickdb-bin` say otherwise. The
 * config file is passed only when known as the service will see it (`--service-config`, or `--config` on Windows).
 */
export function windowsServiceOptions(
  flags: ServiceFlags,
  configFile: string | undefined,
  host: HostFacts = currentHost(),
): WinswOptions {
  const onWindows = host.platform === 'win32';
  return {
    root: flags.root ?? windowsDefaultRoot(host.env),
    configFile: flags.serviceConfig ?? (onWindows ? configFile : undefined),
    user: flags.user ?? WINDOWS_DEFAULT_ACCOUNT,
    group: flags.group ?? DEFAULT_GROUP,
    nodePath: flags.node ?? (onWindows ? host.execPath : WINDOWS_NODE_PLACEHOLDER),
    tickdbBin: flags.tickdbBin ?? (onWindows ? tickdbBinPath() : WINDOWS_BIN_PLACEHOLDER),
    logDir: win32.join(windowsHome(host.env), 'logs'),
  };
}

/** The folder the unit file or the WinSW files go to. */
export function unitDirFor(platform: ServicePlatform, flags: ServiceFlags, host: HostFacts = currentHost()): string {
  // A folder on this host, whatever the target platform: resolved as this OS does.
  if (flags.unitDir !== undefined) return resolve(flags.unitDir);
  if (platform === 'linux') return DEFAULT_SYSTEMD_UNIT_DIR;
  if (platform === 'macos') return LAUNCHD_DAEMONS_DIR;
  if (host.platform === 'win32') return win32.join(windowsHome(host.env), 'service');
  throw new TickdbError('USAGE', 'installing the Windows service from another OS needs --unit-dir DIR', {
    hint: 'or run `tickdb service print --platform windows` and copy the XML to %ProgramData%\\tickdb\\service\\tickdb.xml',
  });
}
