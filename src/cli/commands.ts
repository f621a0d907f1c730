import type { Command } from 'commander';
import type { CliRuntime } from './context.js';
import { asksVersionOnly } from './version-only.js';

type CommandFactory = (runtime: CliRuntime) => Command;

/**
 * Every subcommand by name, each loaded on demand (one file per command). `tickdb decompress` loads the decompress
 * module and what it imports, not the daemon, the watcher or the service installer: start-up is part of every
 * health check and every investigation, and module loading was most of it (about 0.25 s when all were loaded).
 * The order is the order of `tickdb --help`.
 */
export const commandLoaders: ReadonlyMap<string, () => Promise<CommandFactory>> = new Map<
  string,
  () => Promise<CommandFactory>
>([
  ['run', async () => (await import('./run.js')).runCommand],
  ['rotate', async () => (await import('./job-commands.js')).jobCommand('rotate')],
  ['compress', async () => (await import('./job-commands.js')).jobCommand('compress')],
  ['archive', async () => (await import('./job-commands.js')).jobCommand('archive')],
  ['purge', async () => (await import('./job-commands.js')).jobCommand('purge')],
  ['decompress', async () => (await import('./decompress.js')).decompressCommand],
  ['query', async () => (await import('./query.js')).queryCommand],
  ['export', async () => (await import('./export.js')).exportCommand],
  ['simulate', async () => (await import('./simulate.js')).simulateCommand],
  ['inventory', async () => (await import('./inventory.js')).inventoryCommand],
  ['status', async () => (await import('./status.js')).statusCommand],
  ['policy', async () => (await import('./policy.js')).policyCommand],
  ['analyze', async () => (await import('./analyze.js')).analyzeCommand],
  ['verify', async () => (await import('./verify.js')).verifyCommand],
  ['audit', async () => (await import('./audit.js')).auditCommand],
  ['restore', async () => (await import('./restore.js')).restoreCommand],
  ['drill', async () => (await import('./drill.js')).drillCommand],
  ['quarantine', async () => (await import('./quarantine.js')).quarantineCommand],
  ['service', async () => (await import('./service.js')).serviceCommand],
]);

/**
 * The factories a command line needs: only its subcommand's when it names one (`tickdb status --json`), all of them
 * otherwise (`tickdb --help`, `tickdb help status`, a misspelt command that commander answers with a suggestion).
 */
export async function loadCommands(argv: readonly string[]): Promise<CommandFactory[]> {
  if (asksVersionOnly(argv)) return [];
  const named = argv[2] === undefined ? undefined : commandLoaders.get(argv[2]);
  const loaders = named !== undefined ? [named] : [...commandLoaders.values()];
  return Promise.all(loaders.map((load) => load()));
}
