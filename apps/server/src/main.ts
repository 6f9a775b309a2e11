import { buildServer } from './app';
import { loadServerConfig } from './config';
import { closeServerDeps, createServerDeps } from './deps';

/** Process entry point: config → deps → app → listen; SIGINT/SIGTERM shut down in reverse order. */
async function main() {
  const config = loadServerConfig();
  const deps = createServerDeps(config);
  const app = await buildServer({ config, deps });
  await app.listen({ host: config.HOST, port: config.PORT });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    await app.close(); // stop accepting, finish in-flight requests
    await closeServerDeps(deps);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error('server failed to start:', err);
  process.exit(1);
});
