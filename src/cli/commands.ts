import type { Command } from 'commander';
import type { CliRuntime } from './context.js';
import { inventoryCommand } from './inventory.js';
import { simulateCommand } from './simulate.js';

/** Every subcommand, one factory each (one file per command). */
export const commands: readonly ((runtime: CliRuntime) => Command)[] = [
  simulateCommand,
  inventoryCommand,
];
