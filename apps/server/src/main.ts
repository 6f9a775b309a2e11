import cluster from 'node:cluster';
import { buildServer } from './app';
import { loadServerConfig } from './config';
import { closeServerDeps, createServerDeps } from './deps';
import { ExternalMemoryScavenger } from './lib/external-memory-scavenger';

/** One server process: config → deps → app → listen; SIGINT/SIGTERM shut down in reverse order. */
async function serve() {
  const config = loadServerConfig();
  const deps = createServerDeps(config);
  const app = await buildServer({ config, deps });
  await app.listen({ host: config.HOST, port: config.PORT });
  const stopScavenger = ExternalMemoryScavenger.start();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    stopScavenger?.();
    await app.close(); // stop accepting, finish in-flight requests
    await closeServerDeps(deps);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

/**
 * With SERVER_PROCESSES > 1, a primary forks that many server processes sharing the port (Node's
 * cluster module). JavaScript runs on one core per process, and ingest is CPU-bound on small
 * instances; the processes need nothing from each other because uploads already work across
 * instances (shared staging, Redis locks: docs/ingest.md). A process that dies is replaced.
 */
function primary(processes: number) {
  let stopping = false;
  for (let i = 0; i < processes; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`server process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const config = loadServerConfig();
if (cluster.isPrimary && config.SERVER_PROCESSES > 1) {
  primary(config.SERVER_PROCESSES);
} else {
  serve().catch((err) => {
    console.error('server failed to start:', err);
    process.exit(1);
  });
}
