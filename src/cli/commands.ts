import type { Command } from 'commander';
import type { CliRuntime } from './context.js';
import { analyzeCommand } from './analyze.js';
import { decompressCommand } from './decompress.js';
import { auditCommand } from './audit.js';
import { inventoryCommand } from './inventory.js';
import { jobCommand } from './job-commands.js';
import { policyCommand } from './policy.js';
import { quarantineCommand } from './quarantine.js';
import { restoreCommand } from './restore.js';
import { runCommand } from './run.js';
import { serviceCommand } from './service.js';
import { simulateCommand } from './simulate.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

/** Every subcommand, one factory each (one file per command). */
export const commands: readonly ((runtime: CliRuntime) => Command)[] = [
  runCommand,
  jobCommand('rotate'),
  jobCommand('compress'),
  jobCommand('archive'),
  jobCommand('purge'),
  decompressCommand,
  simulateCommand,
  inventoryCommand,
  statusCommand,
  policyCommand,
  analyzeCommand,
  verifyCommand,
  auditCommand,
  restoreCommand,
  quarantineCommand,
  serviceCommand,
];
