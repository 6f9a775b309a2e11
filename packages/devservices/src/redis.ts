import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { Redis } from 'ioredis';

export interface RedisHandle {
  url: string;
  stop(): Promise<void>;
}

/** Sends PING over a raw socket; true when the server answers +PONG (or -NOAUTH: it is there). */
export function pingRedis(url: string, timeoutMs = 1500): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = createConnection({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => done(/^\+PONG|^-NOAUTH/.test(d.toString())));
  });
}

/**
 * Uses the Redis at `url` when it answers; otherwise starts a `redis-server` from PATH on that port
 * (loopback only, no persistence). Throws a one-line instruction when neither is possible.
 */
export async function ensureRedis(url: string, opts: { ping?: (url: string) => Promise<boolean> } = {}): Promise<RedisHandle> {
  if (await (opts.ping ?? pingRedis)(url)) return { url, stop: async () => {} };
  const u = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1'].includes(u.hostname)) {
    throw new Error(`Redis at ${url} is not reachable: start it or fix REDIS_URL`);
  }
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    throw new Error(`no Redis at ${url} and no redis-server on PATH: install Redis (apt-get install redis-server) or set REDIS_URL`);
  }
  const port = String(u.port || 6379);
  const child = spawn('redis-server', ['--port', port, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 50; i++) {
    if (await pingRedis(url, 200)) {
      return {
        url,
        stop: () =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

/**
 * Deletes every key under `prefix:` (a queue prefix of a throwaway run) with SCAN + UNLINK, so a
 * run's unconsumed jobs do not pile up in a shared Redis. With `nested`, also the keys of prefixes
 * that extend it (`prefix-wk-…:`), as test suites derive theirs from the run's. Returns the number of
 * keys removed.
 */
export async function deleteRedisPrefix(url: string, prefix: string, opts: { nested?: boolean } = {}): Promise<number> {
  if (!prefix || /[*?[\]]/.test(prefix)) throw new Error(`refusing to delete keys under the pattern-like prefix '${prefix}'`);
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    for await (const keys of redis.scanStream({ match: opts.nested ? `${prefix}*` : `${prefix}:*`, count: 1000 })) {
      if ((keys as string[]).length) removed += await redis.unlink(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}
