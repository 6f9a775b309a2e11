import { randomUUID } from 'node:crypto';
import type { Lock, Locker, RequestRelease } from '@tus/utils';
import { ERRORS } from '@tus/utils';
import type { Redis } from 'ioredis';

const RELEASE_CHANNEL = 'tus:lock-release';
const UNLOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * tus upload lock shared by every server instance (via Redis), so two instances behind a load
 * balancer never append to one upload at once. tus needs one more thing than a mutex: when a client
 * reconnects after a dropped connection, its stale PATCH may still hold the lock on another instance;
 * the new request asks the holder to let go (`requestRelease`), which we broadcast over pub/sub.
 */
export class RedisLocker implements Locker {
  private readonly held = new Map<string, { token: string; release: RequestRelease }>();
  private subscribed: Promise<unknown> | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly opts: { prefix: string; ttlMs?: number; acquireTimeoutMs?: number } = { prefix: 'vetpacs' },
  ) {}

  newLock(id: string): Lock {
    return new RedisLock(id, this);
  }

  /** @internal */
  key(id: string): string {
    return `${this.opts.prefix}:tus-lock:${id}`;
  }

  /** @internal */
  get ttlMs(): number {
    return this.opts.ttlMs ?? 30_000;
  }

  /** @internal */
  get acquireTimeoutMs(): number {
    return this.opts.acquireTimeoutMs ?? 30_000;
  }

  /** @internal */
  async ensureSubscribed(): Promise<void> {
    this.subscribed ??= this.subscriber.subscribe(RELEASE_CHANNEL).then(() => {
      this.subscriber.on('message', (channel, id) => {
        if (channel !== RELEASE_CHANNEL) return;
        const holder = this.held.get(id);
        if (holder) void holder.release();
      });
    });
    await this.subscribed;
  }

  /** @internal */
  async tryAcquire(id: string, token: string, release: RequestRelease): Promise<boolean> {
    const ok = await this.redis.set(this.key(id), token, 'PX', this.ttlMs, 'NX');
    if (ok === 'OK') {
      this.held.set(id, { token, release });
      return true;
    }
    return false;
  }

  /** @internal */
  async askHolderToRelease(id: string): Promise<void> {
    await this.redis.publish(RELEASE_CHANNEL, id);
  }

  /** @internal */
  async renew(id: string, token: string): Promise<void> {
    await this.redis.eval(RENEW_SCRIPT, 1, this.key(id), token, String(this.ttlMs));
  }

  /** @internal */
  async release(id: string, token: string): Promise<void> {
    this.held.delete(id);
    await this.redis.eval(UNLOCK_SCRIPT, 1, this.key(id), token);
  }
}

class RedisLock implements Lock {
  private readonly token = randomUUID();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: string,
    private readonly locker: RedisLocker,
  ) {}

  async lock(signal: AbortSignal, requestRelease: RequestRelease): Promise<void> {
    await this.locker.ensureSubscribed();
    const deadline = Date.now() + this.locker.acquireTimeoutMs;
    let asked = false;
    let delay = 20;
    while (!signal.aborted && Date.now() < deadline) {
      if (await this.locker.tryAcquire(this.id, this.token, requestRelease)) {
        // Keep the lock alive while a long PATCH streams; the TTL only matters if this process dies.
        this.renewTimer = setInterval(() => void this.locker.renew(this.id, this.token), this.locker.ttlMs / 3);
        this.renewTimer.unref();
        return;
      }
      if (!asked) {
        asked = true;
        await this.locker.askHolderToRelease(this.id);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
    throw ERRORS.ERR_LOCK_TIMEOUT;
  }

  async unlock(): Promise<void> {
    clearInterval(this.renewTimer);
    await this.locker.release(this.id, this.token);
  }
}
