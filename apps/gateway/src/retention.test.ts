import { describe, expect, it } from 'vitest';
import type { InstanceRow } from './queue/repo';
import { selectForgettable } from './retention';

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
