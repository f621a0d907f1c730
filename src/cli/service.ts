import { Command, Option } from 'commander';
import {
  defaultPlatform,
  linuxServiceOptions,
  unitDirFor,
  windowsServiceOptions,
  type ServiceFlags,
} from '../service/defaults.js';
import { installService, linuxWarnings, uninstallService, type ServiceReport } from '../service/install.js';
import type { ServicePlatform } from '../service/options.js';
import { systemctlAvailability, type SystemctlAvailability } from '../service/systemctl.js';
import { SYSTEMD_UNIT_FILE, readWritePaths, renderSystemdUnit } from '../service/systemd-unit.js';
import { WINSW_XML_FILE, renderWinswXml } from '../service/winsw-xml.js';
import { absoluteWindowsPath } from '../service/windows-path.js';
import { action, addCommonOptions, printJson, type CliRuntime, type CommandContext } from './context.js';

interface ServiceCliFlags extends ServiceFlags {
  platform?: ServicePlatform;
  /** false with --no-enable. */
  enable?: boolean;
}

type Subcommand = 'install' | 'uninstall' | 'print';

interface Rendered {
  platform: ServicePlatform;
  file: string;
  content: string;
  /** The folders the service writes (linux: its ReadWritePaths=), for install scripts that create them. */
  writablePaths: string[];
  warnings: string[];
}

function render(ctx: CommandContext, flags: ServiceCliFlags): Rendered {
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
  const opts = linuxServiceOptions(flags, ctx.dirs, ctx.loaded.file);
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

async function runSubcommand(
  ctx: CommandContext,
  runtime: CliRuntime,
  name: Subcommand,
  flags: ServiceCliFlags,
): Promise<number> {
  const rendered = render(ctx, flags);
  if (name === 'print') {
    if (ctx.json) printJson(ctx, { ...rendered });
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
  const report = name === 'install' ? await installService(rendered.content, change) : await uninstallService(change);
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
      new Option('--platform <platform>', "target platform (default: this host's)").choices(['linux', 'windows']),
    )
    .option('--user <user>', 'account of the service (linux default "tickdb"; windows default LocalService)')
    .option('--group <group>', 'linux: primary group of the service, e.g. the writer\'s group (default "tickdb")')
    .option('--node <path>', 'node executable the service runs (default: this node)')
    .option('--tickdb-bin <path>', "tickdb launcher bin/tickdb.js the service runs (default: this installation's)")
    .option('--service-config <file>', 'config file as the service sees it (default: the loaded --config)');
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
    .description('install, uninstall or print the systemd unit (linux) or the WinSW service definition (windows)')
    .addCommand(subcommand(runtime, 'install', 'write the unit (and enable it with systemctl), or the WinSW XML'))
    .addCommand(subcommand(runtime, 'uninstall', 'disable and remove the unit, or remove the WinSW XML'))
    .addCommand(subcommand(runtime, 'print', 'print the unit or the WinSW XML on stdout, install nothing'));
}
