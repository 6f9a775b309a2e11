/** The admin CLI's command tree. Handlers stay thin: parse options, call a repository, print. */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { RepoError } from '@vetpacs/db';
import { registerCredentialCommands } from './commands/credentials';
import { registerDbCommands } from './commands/db';
import { registerPracticeCommands } from './commands/practices';
import { registerUserCommands } from './commands/users';
import type { CliConfig } from './config';
import { createContext } from './context';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Commander parser for `--id` options: rejects non-UUIDs before they reach the database. */
export function parseUuid(value: string): string {
  if (!UUID_RE.test(value)) throw new InvalidArgumentError('expected a UUID');
  return value.toLowerCase();
}

/** I/O of one CLI run (injectable for tests). */
export interface CliIo {
  loadConfig: () => CliConfig;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('pacs')
    .description('VetPACS administration')
    .option('--json', 'machine-readable JSON output')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const ctx = createContext({
    loadConfig: io.loadConfig,
    json: () => Boolean(program.opts().json),
    write: io.stdout,
  });
  registerPracticeCommands(program, ctx);
  registerUserCommands(program, ctx);
  registerCredentialCommands(program, ctx);
  registerDbCommands(program, ctx);
  for (const cmd of program.commands.flatMap((c) => c.commands)) {
    cmd.exitOverride();
    const id = cmd.options.find((o) => o.long === '--id');
    if (id) id.argParser(parseUuid);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof RepoError) {
      if (program.opts().json) io.stdout(`${JSON.stringify({ error: { code: err.code, message: err.message } })}\n`);
      io.stderr(`error: ${err.message}\n`);
      return err.code === 'NOT_FOUND' ? 3 : err.code === 'CONFLICT' ? 4 : 2;
    }
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await ctx.close();
  }
}
