import pino from 'pino';
import { startWorker } from './app';
import { loadWorkerConfig } from './config';
import { closeWorkerDeps, createWorkerDeps } from './deps';

/**
 * Process entry point: config → deps → handlers → queue consumers. SIGINT/SIGTERM stop taking new
 * jobs, let in-flight ones finish (a job cut short by a hard kill returns to the queue when its lock
 * expires), then close queues, Prisma and the stores, in reverse order of creation.
 */
async function main() {
  const config = loadWorkerConfig();
  const log = pino({ level: config.LOG_LEVEL, base: { app: 'worker' } });
  const deps = createWorkerDeps(config, log);
  const worker = await startWorker(config, deps);
  log.info({ prefix: config.QUEUE_PREFIX, metricsPort: config.METRICS_PORT || null, replica: Boolean(deps.replica) }, 'worker started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight jobs');
    await worker.stop();
    await closeWorkerDeps(deps);
    log.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error('worker failed to start:', err);
  process.exit(1);
});
