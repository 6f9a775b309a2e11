/**
 * The project's one test command (`npm test`): static checks, then every unit and integration test
 * in one vitest run against real services, then the browser e2e tests. Ends with the plain summary
 * line `N passed, N failed` that CI reads (vitest's own summary is not such a line).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
let passed = 0;
let failed = 0;
let skipped = 0;

function run(label: string, cmd: string, args: string[]): boolean {
  process.stdout.write(`\n=== ${label}: ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

function countVitest(file: string, label: string): void {
  if (!existsSync(file)) {
    failed += 1;
    process.stdout.write(`${label}: no results written (runner crashed?)\n`);
    return;
  }
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { status: string; name: string; message?: string }[];
  };
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A file that fails to load (syntax error, failing beforeAll) has no test entries: count it.
  for (const f of report.testResults) {
    if (f.status === 'failed' && !report.numFailedTests) {
      failed += 1;
      process.stdout.write(`${label}: ${path.relative(root, f.name)} failed to run\n`);
    }
  }
}

const outDir = path.join(root, 'test-results');
mkdirSync(outDir, { recursive: true });
const filter = process.argv.slice(2);

for (const [label, cmd, args] of [
  ['typecheck', 'pnpm', ['exec', 'turbo', 'run', 'typecheck', '--output-logs=errors-only']],
  ['lint', 'pnpm', ['exec', 'biome', 'check', '--diagnostic-level=error', '.']],
] as const) {
  if (filter.length) break;
  if (run(label, cmd, [...args])) passed += 1;
  else {
    failed += 1;
    process.stdout.write(`${label} FAILED\n`);
  }
}

const unitJson = path.join(outDir, 'vitest.json');
run('unit + integration tests', 'pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${unitJson}`, ...filter]);
countVitest(unitJson, 'vitest');

if (!filter.length && existsSync(path.join(root, 'e2e', 'vitest.config.ts'))) {
  const e2eJson = path.join(outDir, 'e2e.json');
  run('browser e2e tests', 'pnpm', ['exec', 'vitest', 'run', '--config', 'e2e/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${e2eJson}`]);
  countVitest(e2eJson, 'e2e');
}

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed ? 1 : 0);
