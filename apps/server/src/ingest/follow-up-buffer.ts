import { FOLLOW_UPS_PER_JOB, followUpJobs, type NewInstance, type PendingJob } from '@vetpacs/jobs';

/**
 * How long finished requests' new instances wait to be queued together. Derived work gains nothing
 * from arriving sooner (a series' jobs already wait a second to coalesce), while one Redis call per
 * request cost tiny-instance ingest ~7 % of its throughput at concurrency 4: the JavaScript thread's
 * job encoding and BullMQ's per-call work, and Redis' own (docs/benchmarks.md, "Ingest",
 * 2026-12-05 19:40).
 */
export const FOLLOW_UP_DELAY_MS = 100;

/** One practice's instances waiting, and the trace id their job is named after (its first request's). */
interface Group {
  traceId: string;
  instances: NewInstance[];
}

/**
 * Collects the new instances of finished upload requests and queues their derived work together:
 * at most every `delayMs`, one `ingest.followups` job per practice (per FOLLOW_UPS_PER_JOB
 * instances), all in one Redis round trip. An instance from another request than the job's first
 * keeps its own trace id. Nothing is lost if the process dies first: the reconcile job re-creates
 * derived work missing for stored instances from the database, as it does for a failed add.
 */
export class FollowUpBuffer {
  readonly #groups = new Map<string, Group>();
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;

  /**
   * `add`: queues jobs (never rejects: the service logs failures); `track`: keeps the promise of an
   * add started by a timer, so the service's close() waits for it.
   */
  constructor(
    private readonly add: (jobs: PendingJob[]) => Promise<void>,
    private readonly track: (task: Promise<void>) => void,
    private readonly delayMs = FOLLOW_UP_DELAY_MS,
  ) {}

  /** Instances waiting to be queued. */
  get size(): number {
    return this.#count;
  }

  push(practiceId: string, traceId: string, instances: readonly NewInstance[]): void {
    if (!instances.length) return;
    let group = this.#groups.get(practiceId);
    if (!group) {
      group = { traceId, instances: [] };
      this.#groups.set(practiceId, group);
    }
    for (const i of instances) group.instances.push(traceId === group.traceId ? i : { ...i, traceId });
    this.#count += instances.length;
    if (this.#count >= FOLLOW_UPS_PER_JOB) {
      // A full job goes now — on the next turn, after the caller has answered its request.
      this.#immediate ??= setImmediate(() => this.track(this.flush()));
    } else {
      this.#timer ??= setTimeout(() => this.track(this.flush()), this.delayMs).unref();
    }
  }

  /** Queues everything waiting now (also on shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    clearImmediate(this.#immediate);
    this.#timer = this.#immediate = undefined;
    if (!this.#count) return Promise.resolve();
    const jobs: PendingJob[] = [];
    for (const [practiceId, group] of this.#groups) jobs.push(...followUpJobs({ practiceId, traceId: group.traceId }, group.instances));
    this.#groups.clear();
    this.#count = 0;
    return this.add(jobs);
  }
}
