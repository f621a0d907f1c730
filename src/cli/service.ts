import { isAbsolute } from 'node:path';
import { Command, Option } from 'commander';
import {
  defaultPlatform,
  linuxServiceOptions,
  macosServiceOptions,
  s3Access,
  unitDirFor,
  windowsServiceOptions,
  type ServiceFlags,
} from '../service/defaults.js';
import {
  installDropIn,
  installService,
  linuxWarnings,
  uninstallDropIn,
  uninstallService,
  type ServiceReport,
} from '../service/install.js';
import { installLaunchd, uninstallLaunchd } from '../service/install-macos.js';
import {
  LAUNCHD_PLIST_FILE,
  NEWSYSLOG_DIR,
  type LaunchdOptions,
  renderLaunchdPlist,
  renderNewsyslogConf,
} from '../service/launchd-plist.js';
import type { ServicePlatform } from '../service/options.js';
import { systemctlAvailability, type SystemctlAvailability } from '../service/systemctl.js';
import { DROP_IN_FILE, configMismatch, findPackagedUnit, renderDropIn } from '../service/systemd-dropin.js';
import { SYSTEMD_UNIT_FILE, readWritePaths, renderSystemdUnit } from '../service/systemd-unit.js';
import { WINSW_XML_FILE, renderWinswXml } from '../service/winsw-xml.js';
import { absoluteWindowsPath } from '../service/windows-path.js';
import { action, addCommonOptions, printJson, type CliRuntime, type CommandContext } from './context.js';

interface ServiceCliFlags extends ServiceFlags {
  platform?: ServicePlatform;
  /** false with --no-enable. */
  enable?: boolean;
  /** linux: a drop-in for the packaged unit instead of a unit (the default where the .deb's unit is installed). */
  dropIn?: boolean;
}

type Subcommand = 'install' | 'uninstall' | 'print';

interface Rendered {
  platform: ServicePlatform;
  file: string;
  content: string;
  /** The folders the service writes (linux: its ReadWritePaths=), for install scripts that create them. */
  writablePaths: string[];
  warnings: string[];
  /** macos: the newsyslog entry that rotates the log, and the options (account, log folder). */
  macos?: { newsyslog: string; opts: LaunchdOptions };
}

/** The root is the config file's own absolute `root` (not a flag, the environment or the default). */
function rootFromConfig(ctx: CommandContext): boolean {
  return ctx.loaded.sources.root?.startsWith('file ') === true && isAbsolute(ctx.loaded.config.root);
}

/**
 * The packaged unit a drop-in goes with: with --drop-in, the one found (or the usual path); by default, the one
 * found when the unit folder is the default one.
 */
function dropInTarget(name: Subcommand, flags: ServiceCliFlags): string | undefined {
  if (name === 'print' ? flags.dropIn !== true : flags.dropIn === false) return undefined;
  const packaged = findPackagedUnit();
  if (flags.dropIn === true) return packaged ?? `/lib/systemd/system/${SYSTEMD_UNIT_FILE}`;
  return flags.unitDir === undefined ? packaged : undefined;
}

function render(ctx: CommandContext, flags: ServiceCliFlags, packagedUnit: string | undefined): Rendered {
  const platform = flags.platform ?? defaultPlatform();
  if (platform === 'windows') {
    const opts = windowsServiceOptions(flags, ctx.loaded.file);
    return {
      platform,
      file: WINSW_XML_FILE,
      content: renderWinswXml(opts),
      writablePaths: [absoluteWindowsPath('root', opts.root), opts.logDir],
      warnings: [],
    };
  }
  if (platform === 'macos') {
    const opts = macosServiceOptions(flags, ctx.dirs, ctx.loaded.file, undefined, rootFromConfig(ctx));
    return {
      platform,
      file: LAUNCHD_PLIST_FILE,
      content: renderLaunchdPlist(opts),
      writablePaths: readWritePaths(opts),
      warnings: [],
      macos: { newsyslog: renderNewsyslogConf(opts), opts },
    };
  }
  const opts = {
    ...linuxServiceOptions(flags, ctx.dirs, ctx.loaded.file, undefined, rootFromConfig(ctx)),
    s3: s3Access(ctx.loaded.config.archiveTarget),
  };
  if (packagedUnit !== undefined) {
    const mismatch = configMismatch(packagedUnit, opts.configFile);
    return {
      platform,
      file: DROP_IN_FILE,
      content: renderDropIn(opts, packagedUnit, { user: flags.user, group: flags.group }),
      writablePaths: readWritePaths(opts),
      warnings: [...linuxWarnings(opts), ...(mismatch === undefined ? [] : [mismatch])],
    };
  }
  return {
    platform,
    file: SYSTEMD_UNIT_FILE,
    content: renderSystemdUnit(opts),
    writablePaths: readWritePaths(opts),
    warnings: linuxWarnings(opts),
  };
}

function systemctlFor(platform: ServicePlatform, flags: ServiceCliFlags): SystemctlAvailability {
  if (platform === 'windows') return { reason: 'not used for the Windows service' };
  if (platform === 'macos') return { reason: 'not used for the launchd daemon' };
  if (flags.enable === false) return { reason: '--no-enable was given' };
  return systemctlAvailability();
}

function describe(report: ServiceReport): string {
  const verb = report.action === 'install' ? 'installed' : 'uninstalled';
  const lines = [
    `${report.dryRun ? `would have ${verb}` : verb} ${report.path} (${report.change}${report.dryRun ? ', dry run: nothing changed' : ''})`,
  ];
  for (const cmd of report.systemctl) lines.push(`${report.dryRun ? 'would run' : 'ran'}: ${cmd}`);
  if (report.platform === 'linux' && report.systemctlSkipped !== undefined)
    lines.push(`systemctl not run: ${report.systemctlSkipped}`);
  if (report.next.length > 0) lines.push('next:', ...report.next.map((n) => `  ${n}`));
  return `${lines.join('\n')}\n`;
}

type Change = Parameters<typeof installService>[1];

/** Installs or uninstalls what `rendered` describes: a unit, a drop-in, the WinSW XML, or the launchd files. */
async function change_(
  name: 'install' | 'uninstall',
  rendered: Rendered,
  change: Change,
  packagedUnit: string | undefined,
  flags: ServiceCliFlags,
): Promise<ServiceReport> {
  if (rendered.platform === 'macos') {
    const targets = { newsyslogDir: flags.unitDir === undefined ? NEWSYSLOG_DIR : change.unitDir };
    if (name === 'uninstall') return uninstallLaunchd(change, targets);
    const opts = rendered.macos?.opts;
    if (opts === undefined) throw new Error('internal: macos rendering without its options');
    return installLaunchd(rendered.content, rendered.macos?.newsyslog ?? '', change, targets, opts);
  }
  if (packagedUnit !== undefined)
    return name === 'install' ? installDropIn(rendered.content, change) : uninstallDropIn(change);
  return name === 'install' ? installService(rendered.content, change) : uninstallService(change);
}

async function runSubcommand(
  ctx: CommandContext,
  runtime: CliRuntime,
  name: Subcommand,
  flags: ServiceCliFlags,
): Promise<number> {
  const packagedUnit = (flags.platform ?? defaultPlatform()) === 'linux' ? dropInTarget(name, flags) : undefined;
  // Removing the drop-in needs no valid root: nothing is rendered.
  const rendered: Rendered =
    name === 'uninstall' && packagedUnit !== undefined
      ? { platform: 'linux', file: DROP_IN_FILE, content: '', writablePaths: [], warnings: [] }
      : render(ctx, flags, packagedUnit);
  if (name === 'print') {
    if (ctx.json)
      printJson(ctx, {
        ...rendered,
        macos: rendered.macos?.newsyslog === undefined ? undefined : { newsyslog: rendered.macos.newsyslog },
      });
    else ctx.out(rendered.content);
    for (const w of ctx.json ? [] : rendered.warnings) runtime.stderr(`tickdb service print: warning: ${w}\n`);
    return 0;
  }
  const change = {
    platform: rendered.platform,
    unitDir: unitDirFor(rendered.platform, flags),
    dryRun: ctx.dryRun,
    systemctl: systemctlFor(rendered.platform, flags),
  };
  const report = await change_(name, rendered, change, packagedUnit, flags);
  if (name === 'install') report.warnings.push(...rendered.warnings);
  if (ctx.json) {
    printJson(ctx, { ok: true, ...report });
    return 0;
  }
  ctx.out(describe(report));
  if (name === 'install' && ctx.dryRun) ctx.out(`\n${rendered.content}`);
  for (const w of report.warnings) runtime.stderr(`tickdb service ${name}: warning: ${w}\n`);
  return 0;
}

function subcommand(runtime: CliRuntime, name: Subcommand, description: string): Command {
  const sub = new Command(name)
    .description(description)
    .exitOverride()
    .configureOutput({ writeOut: runtime.stdout, writeErr: runtime.stderr })
    .addOption(
      new Option('--platform <platform>', "target platform (default: this host's)").choices([
        'linux',
        'windows',
        'macos',
      ]),
    )
    .option('--user <user>', 'account of the service (linux default "tickdb"; macos "_tickdb"; windows LocalService)')
    .option('--group <group>', 'linux: primary group of the service, e.g. the writer\'s group (default "tickdb")')
    .option('--node <path>', 'node executable the service runs (default: this node)')
    .option('--tickdb-bin <path>', "tickdb launcher bin/tickdb.js the service runs (default: this installation's)")
    .option('--service-config <file>', 'config file as the service sees it (default: the loaded --config)')
    .option(
      '--drop-in',
      'linux: a drop-in beside the packaged unit (default where /lib/systemd/system/tickdb.service exists)',
    )
    .option('--no-drop-in', 'linux: a whole unit in --unit-dir even where a packaged unit exists');
  if (name !== 'print') {
    sub
      .option('--unit-dir <dir>', `folder of the unit file (linux default /etc/systemd/system) or of the WinSW files`)
      .option(
        '--no-enable',
        'linux: do not run systemctl (install: daemon-reload, enable; uninstall: disable --now, daemon-reload)',
      );
  }
  addCommonOptions(sub, { dryRun: name !== 'print' });
  sub.action(
    action(runtime, `service ${name}`, (ctx) => runSubcommand(ctx, runtime, name, sub.opts<ServiceCliFlags>())),
  );
  return sub;
}

/** `tickdb service install|uninstall|print`: the systemd unit or the WinSW service definition. */
export function serviceCommand(runtime: CliRuntime): Command {
  return new Command('service')
    .description(
      'install, uninstall or print the systemd unit (linux), the WinSW service definition (windows) or the launchd daemon (macos)',
    )
    .addCommand(subcommand(runtime, 'install', 'write the unit (and enable it with systemctl), or the WinSW XML'))
    .addCommand(subcommand(runtime, 'uninstall', 'disable and remove the unit, or remove the WinSW XML'))
    .addCommand(subcommand(runtime, 'print', 'print the unit or the WinSW XML on stdout, install nothing'));
}
