/** `pacs db migrate`. */
import type { Command } from 'commander';
import { migrate } from '@vetpacs/db/migrate';
import type { CliContext } from '../context';
import { emit } from '../output';

/** Registers the database commands. */
export function registerDbCommands(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending migrations (offline runner, Prisma-compatible bookkeeping)')
    .action(async () => {
      const { applied } = await migrate(ctx.config().DATABASE_URL);
      emit(ctx.out(), { applied }, () =>
        applied.length ? applied.map((m) => `applied ${m}`).join('\n') : 'database is up to date',
      );
    });
}
