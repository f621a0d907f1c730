import { Command } from 'commander';
import { gatherFacts } from '../inspect/status/facts.js';
import { buildStatusReport, formatStatusText, statusJson } from '../inspect/status/status-report.js';
import { action, addCommonOptions, printJson, type CliRuntime } from './context.js';

const ERROR_PREFIX = 'tickdb status: error: ';

/**
 * `tickdb status`: a read-only health check for Nagios/Icinga (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
 * It takes no lock and writes nothing. Its own failures (bad usage, invalid config, an unreadable tree) are
 * UNKNOWN (3), never 1 (which a monitor would read as WARNING), and are reported on stdout as a Nagios line (or
 * the JSON document) as well as on stderr, since monitors read stdout.
 */
export function statusCommand(runtime: CliRuntime): Command {
  const cmd = new Command('status').description(
    'health check, read-only: Nagios exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), one summary line then one line per check',
  );
  addCommonOptions(cmd);
  cmd.action(async (...raw: unknown[]) => {
    let reported = false;
    let error = '';
    // action() prints an error to stderr (kept) and, with --json, its own error document (replaced below).
    const inner: CliRuntime = {
      exitCode: 0,
      stdout: (text) => {
        if (reported) runtime.stdout(text);
      },
      stderr: (text) => {
        if (text.startsWith(ERROR_PREFIX)) error = (text.slice(ERROR_PREFIX.length).split('\n')[0] ?? '').trim(); // not a stack
        runtime.stderr(text);
      },
    };
    const run = action(
      inner,
      'status',
      async (ctx) => {
        const report = buildStatusReport(await gatherFacts(ctx));
        reported = true;
        if (ctx.json) printJson(ctx, statusJson(report));
        else ctx.out(formatStatusText(report));
        return report.exitCode;
      },
      { usageExit: 3 },
    );
    await run(...raw);
    if (reported) {
      runtime.exitCode = inner.exitCode;
      return;
    }
    runtime.exitCode = 3;
    const summary = `TICKDB UNKNOWN - ${error === '' ? 'status could not run' : error.replaceAll('|', '/')}`;
    if (cmd.opts<{ json?: boolean }>().json === true) {
      runtime.stdout(`${JSON.stringify({ status: 'UNKNOWN', exitCode: 3, summary, checks: [], error }, null, 2)}\n`);
    } else {
      runtime.stdout(`${summary}\n`);
    }
  });
  return cmd;
}
