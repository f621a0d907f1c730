import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TickdbError } from '../errors.js';
import { findInPath } from './locate.js';

/** Runs one `systemctl` command; throws a TickdbError naming the command when it fails. */
export type SystemctlRunner = (args: readonly string[]) => Promise<void>;

export type SystemctlAvailability =
  | { runner: SystemctlRunner; reason?: undefined }
  | { runner?: undefined; reason: string };

/**
 * systemctl is used only where it can work: the binary is in PATH and systemd is the running init
 * (`/run/systemd/system` exists, sd_booted's test). In a container or a chroot the unit is written and nothing else.
 */
export function systemctlAvailability(
  env: NodeJS.ProcessEnv = process.env,
  runDir = '/run/systemd/system',
): SystemctlAvailability {
  const systemctl = findInPath('systemctl', env.PATH);
  if (systemctl === undefined) return { reason: 'systemctl is not in PATH' };
  if (!existsSync(runDir)) return { reason: `systemd is not running on this host (no ${runDir})` };
  return { runner: (args) => runSystemctl(systemctl, args) };
}

function runSystemctl(systemctl: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(systemctl, [...args], { timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err === null) {
        resolve();
        return;
      }
      const detail = stderr.trim() === '' ? err.message : stderr.trim();
      reject(
        new TickdbError('IO', `systemctl ${args.join(' ')} failed: ${detail}`, {
          hint: 'run it by hand as root to see why; the unit file itself is in place',
          cause: err,
        }),
      );
    });
  });
}
