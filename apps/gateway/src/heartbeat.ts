import type { Logger } from 'pino';
import type { StatusSnapshot } from './status/snapshot';
import { SerialTask } from './lib/periodic';
import type { CloudClient } from './upload/cloud';

/** The heartbeat body (the cloud stores it as-is and shows it in the portal's gateway list). */
export function heartbeatBody(s: StatusSnapshot) {
  return {
    version: s.version,
    aeTitle: s.aeTitle,
    queue: s.queue,
    oldestPendingAt: s.oldestPendingAt,
    diskFreeBytes: s.diskFreeBytes ?? null,
    throughputBytesPerSec: s.throughputBytesPerSec,
    lastError: s.lastError,
    lastCStoreByAe: s.lastCStoreByAe.map((a) => ({ callingAe: a.callingAe, at: a.at, stores: a.stores })),
    commitmentsPending: s.commitments.pending,
  };
}

/** Reports to the cloud every `intervalMs` (and at start); failures are only logged — the queue is the truth. */
export class Heartbeat {
  private readonly task: SerialTask;

  constructor(private readonly deps: { cloud: CloudClient; snapshot: () => Promise<StatusSnapshot>; log: Logger; intervalMs: number }) {
    this.task = new SerialTask(
      async () => this.deps.cloud.requestJson('POST', '/api/gateway/heartbeat', heartbeatBody(await this.deps.snapshot())),
      deps.intervalMs,
      (err) => deps.log.debug({ err: (err as Error).message }, 'heartbeat not delivered'),
    );
  }

  start(): void {
    void this.task.kick();
    this.task.start();
  }

  stop(): void {
    this.task.stop();
  }

  /** Sends one heartbeat now (joins one already on its way). */
  beat(): Promise<void> {
    return this.task.kick();
  }
}
