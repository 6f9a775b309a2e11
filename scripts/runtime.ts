/**
 * How the production processes are launched (scripts/start.ts, the benchmarks, infra/docker).
 *
 * Server: a 4 MB young generation instead of V8's default 16 MB semi-spaces. A streaming upload
 * allocates a 64 KB network buffer per socket read; a small young generation collects those (and
 * their off-heap bytes) sooner: peak RSS while a 2 GB study streams in was 361 MB at 16 MB, 289-306
 * at 8 MB, 283-301 at 6 MB, 229-259 at 4 MB and 228-235 at 2 MB (docs/benchmarks.md, "Ingest" and
 * "Young generation size"). Below 4 MB, scavenges cost tiny instances dearly: STOW of 2,000 tiny
 * instances at concurrency 4 took 2.8-3.0 s of server CPU at 4 MB against 3.3 at 2 MB (599-621 ->
 * 683-692 inst/s), radiographs are the same or better (250-300 MB/s both), and 1000-row QIDO
 * answers fit (p50 39-44 ms at 4 MB, 47-50 at 2 MB, 55-63 at 1 MB on the 1M-instance index).
 */
export const SERVER_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=4'];
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
