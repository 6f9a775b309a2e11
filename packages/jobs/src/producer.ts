import { Queue, type ConnectionOptions } from 'bullmq';
import { dedupIdOf, JOBS, type JobName, type JobPayload, QUEUES, type QueueName } from './registry';

/** A job to add later (e.g. collected during a request and added in one batch). */
export type PendingJob = { [N in JobName]: { name: N; payload: JobPayload<N> } }[JobName];

/** Enqueues registry jobs with validated payloads and deterministic job ids. */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly connection: ConnectionOptions, private readonly prefix?: string) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Adds a job. With `replaceFinished`, a completed job holding the same job id is removed first so
   * the work runs again (reconcile uses this when an artifact is missing although its job once
   * completed). Failed jobs stay: they keep their reason in the failed list until someone retries
   * them, instead of failing again on every reconcile run.
   */
  async enqueue<N extends JobName>(name: N, payload: JobPayload<N>, opts: { replaceFinished?: boolean } = {}): Promise<void> {
    const job = this.prepare(name, payload, opts.replaceFinished ?? false);
    if (!job) return;
    const queue = this.queue(JOBS[name].queue);
    if (opts.replaceFinished && job.opts.jobId) {
      const existing = await queue.getJob(job.opts.jobId);
      const state = existing ? await existing.getState() : undefined;
      if (existing && state === 'completed') await existing.remove();
    }
    await queue.add(name, job.data, job.opts);
  }

  /**
   * Adds many jobs with one Redis round trip per queue (BullMQ addBulk); same validation, ids and
   * deduplication as {@link enqueue}. Ingest uses it once per request instead of three calls per
   * instance.
   */
  async enqueueMany(jobs: PendingJob[]): Promise<void> {
    const byQueue = new Map<QueueName, { name: string; data: unknown; opts: ReturnType<JobProducer['jobOpts']> }[]>();
    for (const { name, payload } of jobs) {
      const job = this.prepare(name, payload as JobPayload<typeof name>, false);
      if (!job) continue;
      const queue = JOBS[name].queue;
      if (!byQueue.has(queue)) byQueue.set(queue, []);
      byQueue.get(queue)!.push({ name, data: job.data, opts: job.opts });
    }
    await Promise.all([...byQueue].map(([queue, list]) => this.queue(queue).addBulk(list)));
  }

  /** Validates and builds one job; undefined when a pending deduplicated job already covers it. */
  private prepare<N extends JobName>(name: N, payload: JobPayload<N>, replaceFinished: boolean) {
    const def = JOBS[name];
    const data = def.payload.parse(payload) as JobPayload<N>;
    const jobId = (def.jobId as (p: unknown) => string | undefined)(data);
    const dedupId = dedupIdOf(name, data);
    // A deduplicated, delayed job (series metadata/thumbnail) that this process enqueued moments
    // ago is certainly still pending — it reads the series when it runs, so it covers this call
    // too. Skipping the Redis round trip matters when a 500-slice series arrives.
    const delay = (def.opts as { delay?: number }).delay ?? 0;
    if (dedupId && delay > 0 && !replaceFinished) {
      const now = Date.now();
      const last = this.recentDedup.get(dedupId);
      if (last !== undefined && now - last < delay / 2) return undefined;
      this.recentDedup.set(dedupId, now);
      if (this.recentDedup.size > 10_000) this.pruneRecent(now, delay);
    }
    return { data, opts: this.jobOpts(def.opts, jobId, dedupId) };
  }

  private jobOpts(defOpts: object, jobId: string | undefined, dedupId: string | undefined) {
    return {
      ...defOpts,
      jobId,
      deduplication: dedupId ? { id: dedupId, keepLastIfActive: true } : undefined,
      removeOnComplete: { age: 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    };
  }

  private readonly recentDedup = new Map<string, number>();

  private pruneRecent(now: number, maxAge: number): void {
    for (const [key, at] of this.recentDedup) if (now - at >= maxAge) this.recentDedup.delete(key);
  }

  async counts(): Promise<Record<QueueName, Record<string, number>>> {
    const out = {} as Record<QueueName, Record<string, number>>;
    for (const name of Object.values(QUEUES)) {
      out[name] = await this.queue(name).getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
