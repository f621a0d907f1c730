import type { Command, CommanderError } from 'commander';
import type { CliRuntime } from './context.js';
import { loadCommands } from './commands.js';
import { packageVersion } from '../package-info.js';
import { asksVersionOnly } from './version-only.js';

/** The program for `argv`: its subcommand only, or every subcommand when it names none (see `loadCommands`). */
export async function buildProgram(runtime: CliRuntime, argv: readonly string[]): Promise<Command> {
  const { Command } = await import('commander');
  const program = new Command('tickdb')
    .description(
      'Lifecycle agent for daily SQLite tick databases: pre-create, seal, back up, compress, archive, purge.',
    )
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: runtime.stdout, writeErr: runtime.stderr });
  for (const make of await loadCommands(argv)) {
    const cmd = make(runtime);
    cmd.exitOverride();
    program.addCommand(cmd);
  }
  return program;
}

/** Runs the CLI and returns its exit status: 0 ok, 1 an operation failed, 2 usage or configuration. */
export async function main(argv: string[]): Promise<number> {
  const runtime: CliRuntime = {
    exitCode: 0,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
  if (asksVersionOnly(argv)) {
    // Answered before commander (100 KiB with zod's share of the chunk) is loaded: the one command line that
    // monitoring runs most, issue 22's start-up target (<= 80 ms, Node alone is about 74 ms of it).
    runtime.stdout(`${packageVersion()}\n`);
    return 0;
  }
  const program = await buildProgram(runtime, argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const { CommanderError } = await import('commander');
    if (err instanceof CommanderError) return exitCodeForCommander(err, argv);
    throw err;
  }
  return runtime.exitCode;
}

/**
 * The exit status of a command line that commander refused or answered itself: 0 for help or the version asked
 * for; 2 for a usage error, and for `tickdb` with no command (commander prints the usage on stderr and reports
 * it as help with a non-zero status); 3 for a usage error of `status`, whose results are Nagios statuses (a
 * monitor reads 2 as CRITICAL). The subcommand is `argv[2]`, as in `loadCommands`: an argument elsewhere that
 * happens to be the word "status" does not make a command line the status command's.
 */
function exitCodeForCommander(err: CommanderError, argv: readonly string[]): number {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
  if (err.code === 'commander.help' && err.exitCode === 0) return 0;
  return argv[2] === 'status' ? 3 : 2;
}
