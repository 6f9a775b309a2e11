/**
 * How the production processes are launched (scripts/start.ts, the benchmarks, infra/docker).
 *
 * Server: a 4 MB young generation instead of V8's default 16 MB semi-spaces, grown on demand. A
 * streaming upload allocates a 64 KB network buffer per socket read; a smaller young generation
 * collects those sooner, which keeps ingest of a 2 GB study ~70 MB lower in resident memory
 * without a throughput cost (measured in docs/benchmarks.md, "Ingest").
 */
export const SERVER_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=4'];
export const WORKER_NODE_FLAGS = ['--enable-source-maps'];

/** Bundled entry points (scripts/bundle.ts, `pnpm --filter <app> build`). */
export const SERVER_ENTRY = 'apps/server/dist/main.mjs';
export const WORKER_ENTRY = 'apps/worker/dist/main.mjs';
