/**
 * How the production processes are launched (scripts/start.ts, the benchmarks, infra/docker).
 *
 * Server: an 8 MB young generation instead of V8's default 16 MB semi-spaces, `--expose-gc` for
 * ExternalMemoryScavenger (apps/server/src/lib/external-memory-scavenger.ts), and no source maps.
 * - Tiny instances want a large young generation: each request's records live for the ~10 ms of
 *   its database write, and a small one promotes them to the old generation, whose collections
 *   then cost the most CPU of ingest (`many` at c4: server CPU −10–30 % at 8 or 16 MB against 4).
 * - Streaming wants a small one: every 64 KB socket or file read is a Buffer whose bytes live off
 *   the heap until a scavenge collects it, so peak RSS while a 2 GB study streamed in was 361 MB
 *   at 16 MB, 289–306 at 8 MB and 229–259 at 4 MB. The scavenger runs a scavenge whenever off-heap
 *   memory grew by 8 MB, which keeps 8 MB at 219–251 MB.
 * - `--enable-source-maps` cost ~30 MB of RSS: pino resolves its caller's file at startup
 *   (util.getCallSites), which parses the bundle's source map and keeps it (11 MB of heap). Stack
 *   traces name bundle lines (function names are kept); NODE_OPTIONS=--enable-source-maps maps
 *   them to the sources when wanted. Measurements: docs/benchmarks.md, "Young generation size".
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8', '--expose-gc'];
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
