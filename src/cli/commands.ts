import type { Command } from 'commander';
import type { CliRuntime } from './context.js';
import { inventoryCommand } from './inventory.js';
import { jobCommand } from './job-commands.js';
import { runCommand } from './run.js';
import { serviceCommand } from './service.js';
import { simulateCommand } from './simulate.js';

/** Every subcommand, one factory each (one file per command). */
export const commands: readonly ((runtime: CliRuntime) => Command)[] = [
  runCommand,
  jobCommand('rotate'),
  jobCommand('compress'),
  jobCommand('archive'),
  jobCommand('purge'),
  simulateCommand,
  inventoryCommand,
  serviceCommand,
];
