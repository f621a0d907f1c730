import { execFileSync } from 'node:child_process';
import { TickdbError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { createDayDatabase } from '../sqlite/create-database.js';
import { datasetOf, done, type ExecContext, type StepOutcome } from './exec-context.js';
import type { PrecreateStep } from './step-types.js';

/** Resolves a user or group name to its numeric id (POSIX `id -u` / `getent group`). */
export function resolveId(kind: 'user' | 'group', value: string | number | undefined): number | undefined {
  if (value === undefined || process.platform === 'win32') return undefined;
  if (typeof value === 'number') return value;
  if (/^\d+$/.test(value)) return Number(value);
  try {
    const out =
      kind === 'user'
        ? execFileSync('id', ['-u', value], { encoding: 'utf8' })
        : (execFileSync('getent', ['group', value], { encoding: 'utf8' }).split(':')[2] ?? '');
    const id = Number(out.trim());
    if (Number.isInteger(id)) return id;
  } catch {
    // fall through
  }
  throw new TickdbError(
    'CONFIG',
    `invalid configuration: ${kind === 'user' ? 'fileOwner' : 'fileGroup'} = ${JSON.stringify(value)}: no such ${kind}`,
    {
      path: kind === 'user' ? 'fileOwner' : 'fileGroup',
    },
  );
}

/**
 * Creates today's or tomorrow's database (schema, WAL, owner and mode from config); never overwrites. A database
 * already there is left as it is, and recorded as live when it has no record yet (the writer made it first, or a
 * run was killed between creating it and recording it), so that every file in the tree has its record.
 */
export async function precreateDay(step: PrecreateStep, ctx: ExecContext): Promise<StepOutcome> {
  const dataset = datasetOf(ctx, step.dataset);
  const created = await createDayDatabase(step.path, {
    schemaSql: dataset.schemaSql,
    mode: parseInt(ctx.config.fileMode, 8),
    uid: resolveId('user', ctx.config.fileOwner),
    gid: resolveId('group', ctx.config.fileGroup),
  });
  if (!created) {
    if (ctx.store.get(step.dataset, step.day) !== undefined)
      return { status: 'skipped', message: `${step.path} already exists; left as it is` };
    await ctx.store.transition(
      step.dataset,
      step.day,
      { state: 'live', origin: 'found' },
      { event: 'found-live', path: step.path },
    );
    return done(`recorded ${step.path}, already there (not created by tickdb); left as it is`);
  }
  faultPoint('rotate:after-precreate');
  await ctx.store.transition(
    step.dataset,
    step.day,
    { state: 'live', createdAt: ctx.clock.now().toISOString() },
    { event: 'created', path: step.path },
  );
  return done(`created ${step.path}`);
}
