import { Queue, type ConnectionOptions } from 'bullmq';
import { dedupIdOf, JOBS, type JobName, type JobPayload, QUEUES, type QueueName } from './registry';

/** A job to add later (e.g. collected during a request and added in one batch). */
export type PendingJob = { [N in JobName]: { name: N; payload: JobPayload<N> } }[JobName];

/** Options for {@link JobProducer}. */
export interface JobProducerOptions {
  /**
   * Told when a queue's Redis connection fails (Redis down or restarting); the queue reconnects by
   * itself. Default: one line on stderr.
   */
  onError?: (err: Error, queue: QueueName) => void;
}

const reportToStderr = (err: Error, queue: QueueName) => console.warn(`jobs: queue ${queue}: ${err.message}`);

/** Enqueues registry jobs with validated payloads and deterministic job ids. */
export class JobProducer {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix?: string,
    private readonly opts: JobProducerOptions = {},
  ) {}

  queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.connection, prefix: this.prefix });
      // Without a listener BullMQ prints each connection error's whole stack with console.error.
      const onError = this.opts.onError ?? reportToStderr;
      q.on('error', (err) => onError(err, name));
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
    const at = Date.now();
    await queue.add(name, job.data, job.opts);
    this.remember(job.coalesceKey, at, job.delay);
  }

  /**
   * Adds many jobs with one Redis round trip per queue (BullMQ addBulk); same validation, ids and
   * deduplication as {@link enqueue}. Ingest uses it once per request instead of three calls per
   * instance.
   */
  async enqueueMany(jobs: PendingJob[]): Promise<void> {
    type Prepared = NonNullable<ReturnType<JobProducer['prepare']>> & { name: string };
    const byQueue = new Map<QueueName, Prepared[]>();
    // Coalesced jobs already in this batch: a second one would be deduplicated by Redis anyway.
    const inBatch = new Set<string>();
    for (const { name, payload } of jobs) {
      const job = this.prepare(name, payload as JobPayload<typeof name>, false);
      if (!job) continue;
      if (job.coalesceKey !== undefined) {
        if (inBatch.has(job.coalesceKey)) continue;
        inBatch.add(job.coalesceKey);
      }
      const queue = JOBS[name].queue;
      if (!byQueue.has(queue)) byQueue.set(queue, []);
      byQueue.get(queue)!.push({ ...job, name });
    }
    const at = Date.now();
    await Promise.all(
      [...byQueue].map(async ([queue, list]) => {
        await this.queue(queue).addBulk(list.map((j) => ({ name: j.name, data: j.data, opts: j.opts })));
        for (const j of list) this.remember(j.coalesceKey, at, j.delay);
      }),
    );
  }

  /** Validates and builds one job; undefined when a pending deduplicated job already covers it. */
  private prepare<N extends JobName>(name: N, payload: JobPayload<N>, replaceFinished: boolean) {
    const def = JOBS[name];
    const data = def.payload.parse(payload) as JobPayload<N>;
    const jobId = (def.jobId as (p: unknown) => string | undefined)(data);
    const dedupId = dedupIdOf(name, data);
    // A deduplicated, delayed job (series metadata/thumbnail) that this process enqueued moments
    // ago is certainly still pending — it reads the series when it runs, so it covers this call
    // too. Skipping the Redis round trip matters when a 500-slice series arrives. Only adds that
    // succeeded are remembered (see remember), so a failed add is retried by the next call.
    const delay = (def.opts as { delay?: number }).delay ?? 0;
    const coalesceKey = dedupId && delay > 0 && !replaceFinished ? dedupId : undefined;
    if (coalesceKey !== undefined) {
      const last = this.recentDedup.get(coalesceKey);
      if (last !== undefined && Date.now() - last < delay / 2) return undefined;
    }
    return { data, opts: this.jobOpts(def.opts, jobId, dedupId), coalesceKey, delay };
  }

  /** Records a coalesced job as added at `at` (called once its add has resolved). */
  private remember(coalesceKey: string | undefined, at: number, delay: number): void {
    if (coalesceKey === undefined) return;
    this.recentDedup.set(coalesceKey, at);
    if (this.recentDedup.size > 10_000) this.pruneRecent(Date.now(), delay);
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
