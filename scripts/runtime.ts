/**
 * How the production processes are launched (scripts/start.ts, the benchmarks, infra/docker).
 *
 * Server: a 1 MB young generation instead of V8's default 16 MB semi-spaces, grown on demand. A
 * streaming upload allocates a 64 KB network buffer per socket read; a small young generation
 * collects those (and their off-heap bytes) sooner: the peak RSS while a 2 GB study streams in
 * went from 361 MB (default) and 264–291 MB (4 MB) to ~212 MB, with no throughput cost on
 * small-instance or radiograph ingest (A/B runs in docs/benchmarks.md, "Ingest").
 */
export const SERVER_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=1'];
export const WORKER_NODE_FLAGS = ['--enable-source-maps'];

/**
 * Server environment defaults. libuv's thread pool runs every filesystem call; ingest keeps up to
 * 4 instances per request in flight, each waiting on an fsync, so the default 4 threads would make
 * uploads queue behind each other's fsyncs.
 */
export const SERVER_ENV_DEFAULTS: Record<string, string> = { UV_THREADPOOL_SIZE: '16' };

/** Bundled entry points (scripts/bundle.ts, `pnpm --filter <app> build`). */
export const SERVER_ENTRY = 'apps/server/dist/main.mjs';
export const WORKER_ENTRY = 'apps/worker/dist/main.mjs';
