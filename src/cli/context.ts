import { type Command, Option } from 'commander';
import { parseNow, offsetClock, systemClock, type Clock } from '../clock.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { TickdbError, exitCodeFor, isTickdbError } from '../errors.js';
import { tierDirs, type TierDirs } from '../layout/tiers.js';
import { createLogger, LOG_LEVELS, type Logger } from '../log.js';
import { lowerPriority } from '../priority.js';
import { mkdirDurable } from '../fs/mkdir-durable.js';
import { acquireLock } from '../store/lock.js';

export interface CommonOptions {
  root?: string;
  config?: string;
  now?: string;
  json?: boolean;
  dryRun?: boolean;
  logLevel?: string;
}

/** What every command gets: the validated config, the tier paths, one clock reading, a logger. */
export interface CommandContext {
  loaded: LoadedConfig;
  config: Config;
  dirs: TierDirs;
  clock: Clock;
  /** The instant of this run, read once. */
  now: Date;
  logger: Logger;
  json: boolean;
  dryRun: boolean;
  out(text: string): void;
}

/** Shared by all commands: where the exit status is collected, and where output goes. */
export interface CliRuntime {
  exitCode: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export function addCommonOptions(cmd: Command, features: { dryRun?: boolean; json?: boolean } = {}): Command {
  cmd
    .option('--root <dir>', 'root of the tick store (env TICKDB_ROOT; default ./data/ticks)')
    .option('--config <file>', 'JSON config file (env TICKDB_CONFIG)')
    .option('--now <iso>', 'the current instant, ISO-8601; a time without a zone is UTC (for rehearsals and tests)')
    .addOption(new Option('--log-level <level>', 'log level on stderr').choices(LOG_LEVELS));
  if (features.json !== false) cmd.option('--json', 'print one JSON document on stdout');
  if (features.dryRun === true) cmd.option('--dry-run', 'print what would be done and change nothing');
  return cmd;
}

export function createContext(opts: CommonOptions, runtime: CliRuntime, command: string): CommandContext {
  const clock = opts.now === undefined ? systemClock() : offsetClock(parseNow(opts.now));
  const loaded = loadConfig({
    configFile: opts.config,
    flags: { root: opts.root, dryRun: opts.dryRun, logLevel: opts.logLevel },
  });
  const { config } = loaded;
  const dirs = tierDirs({
    root: config.root,
    archiveDir: config.archiveDir,
    backupDir: config.backupDir,
    metricsFile: config.metricsFile,
  });
  let logger: Logger | undefined;
  return {
    loaded,
    config,
    dirs,
    clock,
    now: clock.now(),
    // Created on first use: most one-shot commands never log, and loading pino is a visible part of start-up.
    get logger(): Logger {
      logger ??= createLogger(config.logLevel, { command });
      return logger;
    },
    json: opts.json === true,
    dryRun: config.dryRun,
    out: runtime.stdout,
  };
}

/** Runs `fn` holding `db/tickdb.lock` (created with the db/ folder if needed; none for a dry run); released on every path. */
export async function withTreeLock<T>(ctx: CommandContext, command: string, fn: () => Promise<T>): Promise<T> {
  // A dry run only reads: it takes no lock and creates no folder, so it works while the agent runs (DESIGN 6).
  if (ctx.dryRun) return fn();
  await mkdirDurable(ctx.dirs.db);
  const lock = await acquireLock(ctx.dirs, command, ctx.now);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export function printJson(ctx: Pick<CommandContext, 'out'>, value: unknown): void {
  ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}

export interface ActionOptions {
  /** Exit status for usage and configuration errors (`status` uses 3, UNKNOWN). */
  usageExit?: number;
}

/**
 * Wraps a command body: builds the context, maps errors to exit statuses in one place, prints an error as one
 * line on stderr (and as the JSON document on stdout with --json).
 */
export function action<A extends unknown[]>(
  runtime: CliRuntime,
  name: string,
  body: (ctx: CommandContext, ...args: A) => Promise<number>,
  options: ActionOptions = {},
): (...args: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = cmd.opts<CommonOptions>();
    const args = raw.slice(0, -2) as A;
    try {
      const ctx = createContext(opts, runtime, name);
      // Every command is housekeeping next to the trading engine: compress, decompress and verify --deep keep
      // both cores busy for seconds to minutes, and nice 10 costs them nothing on an idle host.
      lowerPriority(() => ctx.logger);
      runtime.exitCode = await body(ctx, ...args);
    } catch (err) {
      const code = exitCodeFor(err);
      runtime.exitCode = code === 2 && options.usageExit !== undefined ? options.usageExit : code;
      const text = isTickdbError(err)
        ? err.describe()
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
      runtime.stderr(`tickdb ${name}: error: ${text}\n`);
      if (opts.json === true) {
        const doc = isTickdbError(err) ? err.toJSON() : { code: 'INTERNAL', message: String(err) };
        runtime.stdout(`${JSON.stringify({ ok: false, error: doc }, null, 2)}\n`);
      }
    }
  };
}

export function usageError(message: string, hint?: string): TickdbError {
  return new TickdbError('USAGE', message, { hint });
}
