import { join } from 'node:path';
import type { ServiceChangeOptions, ServiceReport } from './install.js';
import { LAUNCHD_LABEL, LAUNCHD_PLIST_FILE, NEWSYSLOG_FILE } from './launchd-plist.js';
import { removeServiceFile, writeServiceFile } from './service-file.js';

/** Where the newsyslog entry goes: /etc/newsyslog.d, or the plist's folder when one was given (tests, staging). */
export interface MacosTargets {
  newsyslogDir: string;
}

/**
 * Writes the LaunchDaemon plist and the newsyslog entry. launchctl is not run: loading a daemon is the operator's
 * step (`launchctl bootstrap`), printed as the next step, as are the account and the log folder it needs.
 */
export async function installLaunchd(
  plist: string,
  newsyslog: string,
  opts: ServiceChangeOptions,
  targets: MacosTargets,
  account: { user: string; logDir: string },
): Promise<ServiceReport> {
  const { path, change } = await writeServiceFile(opts.unitDir, LAUNCHD_PLIST_FILE, plist, opts.dryRun);
  const rotation = await writeServiceFile(targets.newsyslogDir, NEWSYSLOG_FILE, newsyslog, opts.dryRun);
  return {
    platform: 'macos',
    action: 'install',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl: [],
    warnings: [],
    next: [
      `log rotation: ${rotation.path} (${rotation.change})`,
      `the account ${account.user} must exist (a hidden daemon user, e.g. with sysadminctl or dscl)`,
      `sudo install -d -o ${account.user} -g ${account.user} -m 0750 ${account.logDir}`,
      `sudo launchctl bootstrap system ${path}   (after an upgrade: sudo launchctl kickstart -k system/${LAUNCHD_LABEL})`,
      `tail -f ${join(account.logDir, `${LAUNCHD_LABEL}.log`)}`,
    ],
  };
}

/** Removes the plist and the newsyslog entry; unload the daemon first (`launchctl bootout system/tickdb`). */
export async function uninstallLaunchd(opts: ServiceChangeOptions, targets: MacosTargets): Promise<ServiceReport> {
  const { path, change } = await removeServiceFile(opts.unitDir, LAUNCHD_PLIST_FILE, opts.dryRun);
  const rotation = join(targets.newsyslogDir, NEWSYSLOG_FILE);
  await removeServiceFile(targets.newsyslogDir, NEWSYSLOG_FILE, opts.dryRun).catch(() => undefined);
  return {
    platform: 'macos',
    action: 'uninstall',
    path,
    change,
    dryRun: opts.dryRun,
    systemctl: [],
    warnings: [`run \`sudo launchctl bootout system/${LAUNCHD_LABEL}\` before this command, to stop the daemon`],
    next: [`${rotation} removed too; the logs in /Library/Logs/tickdb and the data stay`],
  };
}
