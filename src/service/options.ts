import { TickdbError } from '../errors.js';
import type { S3Access } from './systemd-network.js';

/** The service's name everywhere: systemd unit `tickdb.service`, WinSW id `tickdb`, journald identifier. */
export const SERVICE_NAME = 'tickdb';
export const DEFAULT_USER = 'tickdb';
export const DEFAULT_GROUP = 'tickdb';
/** `tickdb run` stops gracefully within this many seconds of SIGTERM / Ctrl+C (DESIGN section 6). */
export const GRACEFUL_STOP_SECONDS = 30;
/** What the service managers wait before killing: above the agent's own graceful stop. */
export const STOP_TIMEOUT_SECONDS = 45;
/** The agent's exit status for bad usage or an invalid configuration: restarting cannot fix it. */
export const CONFIG_ERROR_EXIT = 2;

export type ServicePlatform = 'linux' | 'windows' | 'macos';

/** What both generators need. Paths are for the target platform (POSIX for linux, win32 for windows). */
export interface ServiceOptions {
  /** Root of the tick store (absolute). */
  root: string;
  /** Config file the service passes as `--config` (absolute), if any. */
  configFile?: string | undefined;
  /** Tiers that may live elsewhere (absolute); the defaults under the root need not be given. */
  backupDir?: string | undefined;
  archiveDir?: string | undefined;
  metricsFile?: string | undefined;
  /** Account the agent runs as (linux: system user; windows: LocalService, NetworkService, LocalSystem or DOMAIN\gmsa$). */
  user: string;
  /** Linux: primary group of the agent, typically the writer's group so that both can open the databases. */
  group: string;
  /** Absolute path of the node executable. */
  nodePath: string;
  /** Absolute path of tickdb's `bin/tickdb.js`. */
  tickdbBin: string;
  /**
   * The root is the config file's own (absolute) `root`: the service reads it from there, without `--root`, so that
   * editing the file is enough (the packaged unit). Otherwise (a flag, the environment, the default) `--root` is passed.
   */
  rootFromConfig?: boolean | undefined;
  /** Linux: the archive target is an S3 bucket: the unit gets network access and credentials (DESIGN 12). */
  s3?: S3Access | undefined;
}

/** Control characters cannot be carried by a unit file or an XML attribute; no sane path has them. */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function rejectControlChars(field: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new TickdbError('USAGE', `${field} contains a control character: ${JSON.stringify(value)}`, {
      hint: 'use a path without newlines, tabs or other control characters',
    });
  }
}

/** A POSIX account or group name (useradd's portable set), or a numeric id. */
const POSIX_NAME = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}|[0-9]{1,10})$/;

export function checkPosixName(field: string, value: string): string {
  if (!POSIX_NAME.test(value)) {
    throw new TickdbError('USAGE', `${field} "${value}" is not a valid user or group name`, {
      hint: 'letters, digits, "_", "." and "-", starting with a letter or "_" (at most 32), or a numeric id',
    });
  }
  return value;
}
