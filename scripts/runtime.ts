/**
 * How the production processes are launched (scripts/start.ts, the benchmarks, infra/docker).
 *
 * Server: a 2 MB young generation instead of V8's default 16 MB semi-spaces. A streaming upload
 * allocates a 64 KB network buffer per socket read; a small young generation collects those (and
 * their off-heap bytes) sooner. Measured (docs/benchmarks.md, "Young generation size"): peak RSS
 * while a 2 GB study streams in is ~212-229 MB at 1-2 MB, 264-281 MB at 4 MB, 361 MB at 16 MB;
 * but at 1 MB a 1000-row QIDO answer (about 2 MB of short-lived rows and strings) no longer fits
 * and spills into old-generation collections: p50 55-63 ms at 1 MB, 47-50 ms at 2 MB, 39-44 ms
 * at 4 MB on the 1M-instance index. 2 MB keeps most of both.
 */
export const SERVER_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=2'];
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
