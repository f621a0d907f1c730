import { Command, CommanderError } from 'commander';
import type { CliRuntime } from './context.js';
import { loadCommands } from './commands.js';
import packageJson from '../../package.json' with { type: 'json' };

/** The program for `argv`: its subcommand only, or every subcommand when it names none (see `loadCommands`). */
export async function buildProgram(runtime: CliRuntime, argv: readonly string[]): Promise<Command> {
  const program = new Command('tickdb')
    .description(
      'Lifecycle agent for daily SQLite tick databases: pre-create, seal, back up, compress, archive, purge.',
    )
    .version(packageJson.version)
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
  const program = await buildProgram(runtime, argv);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      // `status` reports its own usage errors as UNKNOWN (3), as monitoring systems expect.
      return argv.slice(2).includes('status') ? 3 : 2;
    }
    throw err;
  }
  return runtime.exitCode;
}
