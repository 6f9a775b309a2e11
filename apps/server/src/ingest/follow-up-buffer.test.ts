import type { PendingJob } from '@vetpacs/jobs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FollowUpBuffer } from './follow-up-buffer';

const P1 = '00000000-0000-4000-8000-000000000001';
const P2 = '00000000-0000-4000-8000-000000000002';
const inst = (n: number) => ({ instanceId: `i${n}`, version: 1, seriesId: `s${n}` });

function buffer(delayMs?: number) {
  const calls: PendingJob[][] = [];
  const tracked: Promise<void>[] = [];
  const b = new FollowUpBuffer(
    async (jobs) => {
      calls.push(jobs);
    },
    (task) => tracked.push(task),
    delayMs,
  );
  return { b, calls, tracked };
}

describe('FollowUpBuffer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues the requests of a moment together: one job per practice, in one call, after the delay', () => {
    const { b, calls, tracked } = buffer(100);
    b.push(P1, 'req-1', [inst(1), inst(2)]);
    b.push(P2, 'req-2', [inst(3), inst(4)]);
    b.push(P1, 'req-3', [inst(5)]);
    expect(b.size).toBe(5);
    vi.advanceTimersByTime(99);
    expect(calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(tracked).toHaveLength(1);
    expect(b.size).toBe(0);
    expect(calls).toEqual([
      [
        // The job is named after its first request; the other request's instance keeps its own trace id.
        { name: 'ingest.followups', payload: { practiceId: P1, traceId: 'req-1', instances: [inst(1), inst(2), { ...inst(5), traceId: 'req-3' }] } },
        { name: 'ingest.followups', payload: { practiceId: P2, traceId: 'req-2', instances: [inst(3), inst(4)] } },
      ],
    ]);
    // Nothing waiting: the next push starts a new delay.
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(1);
  });

  it("queues a lone instance's own three jobs", () => {
    const { b, calls } = buffer(100);
    b.push(P1, 'req-1', [inst(1)]);
    vi.advanceTimersByTime(100);
    expect(calls[0]!.map((j) => j.name)).toEqual(['instance.thumbnail', 'series.metadata', 'series.thumbnail']);
  });

  it('queues a full job without waiting for the delay, on the next turn', async () => {
    const { b, calls } = buffer(100);
    const many = Array.from({ length: 1000 }, (_, n) => inst(n));
    b.push(P1, 'req-1', many);
    expect(calls).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toEqual([{ name: 'ingest.followups', payload: { practiceId: P1, traceId: 'req-1', instances: many } }]);
    // Its timer is gone too: nothing is queued twice.
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(1);
  });

  it('flush() queues what is waiting at once and nothing when nothing is', async () => {
    const { b, calls } = buffer(100);
    await b.flush();
    expect(calls).toEqual([]);
    b.push(P1, 'req-1', [inst(1), inst(2)]);
    await b.flush();
    expect(calls).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(calls).toHaveLength(1);
  });
});
