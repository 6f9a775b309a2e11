import { describe, expect, it } from 'vitest';
import type { InstanceRow } from './queue/repo';
import { anythingToForget, selectForgettable } from './retention';

const day = 86_400_000;
const now = 100 * day;
const inst = (id: number, size: number, verifiedDaysAgo: number) => ({ id, size, verified_at: now - verifiedDaysAgo * day }) as InstanceRow;

describe('selectForgettable', () => {
  it('forgets copies older than the retention age', () => {
    const out = selectForgettable([inst(1, 10, 9), inst(2, 10, 8), inst(3, 10, 1)], { keepDays: 7, cacheBytes: 1000, budgetBytes: 1000 }, 0, now);
    expect(out.map((i) => i.id)).toEqual([1, 2]);
  });
  it('forgets the oldest until the cache fits its cap and what pending uploads leave of the budget', () => {
    const cached = [inst(1, 40, 3), inst(2, 40, 2), inst(3, 40, 1)];
    expect(selectForgettable(cached, { keepDays: 7, cacheBytes: 80, budgetBytes: 1000 }, 0, now).map((i) => i.id)).toEqual([1]);
    expect(selectForgettable(cached, { keepDays: 7, cacheBytes: 1000, budgetBytes: 100 }, 60, now).map((i) => i.id)).toEqual([1, 2]);
  });
  it('keeps everything young and within budget', () => {
    expect(selectForgettable([inst(1, 10, 1)], { keepDays: 7, cacheBytes: 100, budgetBytes: 100 }, 0, now)).toEqual([]);
  });
});

describe('anythingToForget', () => {
  const policy = { keepDays: 7, cacheBytes: 100, budgetBytes: 1000 };
  it('agrees with selectForgettable on when a pass has work', () => {
    const cases: [InstanceRow[], number][] = [
      [[inst(1, 10, 1)], 0], // young and within the cap
      [[inst(1, 10, 8), inst(2, 10, 1)], 0], // one past the retention age
      [[inst(1, 60, 2), inst(2, 60, 1)], 0], // over the cache cap
      [[inst(1, 50, 1)], 960], // over what the pending uploads leave of the budget
    ];
    for (const [cached, pending] of cases) {
      const bytes = cached.reduce((s, i) => s + i.size, 0);
      expect(anythingToForget(bytes, cached[0]!.verified_at, policy, pending, now)).toBe(selectForgettable(cached, policy, pending, now).length > 0);
    }
  });
  it('treats an unknown verification time as old', () => {
    expect(anythingToForget(0, null, policy, 0, now)).toBe(true);
  });
});
