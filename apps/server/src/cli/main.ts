/**
 * Admin CLI entry point: `pnpm pacs <command> [--json]` (see `pnpm pacs --help`).
 * Exit codes: 0 ok, 1 unexpected error, 2 invalid input, 3 not found, 4 conflict.
 */
import { loadCliConfig } from './config';
import { runCli } from './program';

process.exitCode = await runCli(process.argv.slice(2), {
  loadConfig: () => loadCliConfig(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
