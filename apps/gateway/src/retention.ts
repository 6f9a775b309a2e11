import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { InstanceRow, QueueRepo } from './queue/repo';
import { SerialTask } from './lib/periodic';
import { type CloudClient, heldVersion } from './upload/cloud';

export interface RetentionPolicy {
  keepDays: number;
  cacheBytes: number;
  budgetBytes: number;
}

/** Verified copies verified before this instant are past their retention age. */
function retentionCutoff(policy: RetentionPolicy, now: number): number {
  return now - policy.keepDays * 86_400_000;
}

/** How many cached bytes may stay: the cache's own cap, and what the budget leaves beside the pending uploads. */
function cacheLimit(policy: RetentionPolicy, pendingBytes: number): number {
  return Math.max(0, Math.min(policy.cacheBytes, policy.budgetBytes - pendingBytes));
}

/**
 * True when {@link selectForgettable} would pick something: the cache is over its limit or its
 * oldest copy (`oldestVerifiedAt`, null when unknown, which counts as old) is past the retention age.
 */
export function anythingToForget(cachedBytes: number, oldestVerifiedAt: number | null, policy: RetentionPolicy, pendingBytes: number, now = Date.now()): boolean {
  return cachedBytes > cacheLimit(policy, pendingBytes) || (oldestVerifiedAt ?? 0) < retentionCutoff(policy, now);
}

/**
 * Which verified local copies to forget now: those older than `keepDays`, then the oldest until
 * the cache fits both its own cap and what the budget leaves beside the pending uploads.
 * `cached` is ordered oldest-verified first.
 */
export function selectForgettable(cached: InstanceRow[], policy: RetentionPolicy, pendingBytes: number, now = Date.now()): InstanceRow[] {
  const cutoff = retentionCutoff(policy, now);
  const limit = cacheLimit(policy, pendingBytes);
  let total = cached.reduce((s, i) => s + i.size, 0);
  const out: InstanceRow[] = [];
  for (const i of cached) {
    if ((i.verified_at ?? 0) < cutoff || total > limit) {
      out.push(i);
      total -= i.size;
    }
  }
  return out;
}

/**
 * Verify before forgetting: a local copy is deleted only after the cloud, asked again right now,
 * confirms it holds these exact bytes (SHA-256). If it does not, the instance is uploaded again.
 * While the cloud is unreachable nothing is deleted, so the branch keeps its recent studies.
 */
export class Retention {
  private readonly task: SerialTask;

  constructor(
    private readonly deps: { repo: QueueRepo; cloud: CloudClient; log: Logger; policy: RetentionPolicy; intervalMs: number; onRequeued: () => void },
  ) {
    this.task = new SerialTask(() => this.run(), deps.intervalMs, (err) => deps.log.warn({ err: (err as Error).message }, 'retention pass failed; nothing deleted'));
  }

  start(): void {
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  kick(): void {
    void this.task.kick();
  }

  /** One pass; returns how many local copies were forgotten. */
  async run(now = Date.now()): Promise<number> {
    const { repo, cloud, log, policy } = this.deps;
    const oldest = repo.cachedInstances(1)[0];
    if (!oldest) return 0;
    const pending = repo.pendingBytes();
    // Runs after every verified upload: the full reload below only when something can go.
    if (!anythingToForget(repo.cachedBytes(), oldest.verified_at, policy, pending, now)) return 0;
    const victims = selectForgettable(repo.cachedInstances(100_000), policy, pending, now);
    let forgotten = 0;
    for (let i = 0; i < victims.length; i += 500) {
      const batch = victims.slice(i, i + 500);
      const held = await cloud.lookup(batch.map((b) => b.sop_instance_uid));
      for (const inst of batch) {
        if (heldVersion(held.get(inst.sop_instance_uid), inst.sha256) === undefined) {
          repo.requeue(inst.id, 'the cloud no longer reports this instance with our SHA-256');
          this.deps.onRequeued();
          continue;
        }
        await rm(inst.path, { force: true });
        repo.markForgotten(inst.id);
        forgotten += 1;
      }
    }
    if (forgotten) log.info({ forgotten }, 'retention: verified local copies removed');
    return forgotten;
  }
}
