import { describe, expect, it, vi } from 'vitest';
import { ByteBudget } from './byte-budget';

describe('ByteBudget', () => {
  it('grants at once while the bytes fit, and makes the next wait until enough is released', async () => {
    const budget = new ByteBudget(10);
    expect(budget.acquire(6)).toBeUndefined();
    expect(budget.acquire(4)).toBeUndefined();
    let granted = false;
    const waiting = budget.acquire(3)!.then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    budget.release(2); // 8 in use: 3 more do not fit yet
    await Promise.resolve();
    expect(granted).toBe(false);
    budget.release(4); // 4 in use
    await waiting;
    expect(budget.inUse).toBe(7);
  });

  it('serves waiters first come first served: a small request does not overtake a large one', async () => {
    const budget = new ByteBudget(10);
    budget.acquire(10);
    const order: string[] = [];
    const large = budget.acquire(8)!.then(() => order.push('large'));
    // It would fit once 2 are released, but the large request came first.
    const small = budget.acquire(2)!.then(() => order.push('small'));
    budget.release(2);
    await Promise.resolve();
    expect(order).toEqual([]);
    budget.release(8);
    await Promise.all([large, small]);
    expect(order).toEqual(['large', 'small']);
    expect(budget.inUse).toBe(10);
  });

  it('grants a request larger than the whole budget once nothing else is held, so it never waits forever', async () => {
    const budget = new ByteBudget(10);
    budget.acquire(1);
    let granted = false;
    const big = budget.acquire(25)!.then(() => {
      granted = true;
    });
    await Promise.resolve();
    expect(granted).toBe(false);
    budget.release(1);
    await big;
    expect(budget.inUse).toBe(25);
    expect(budget.acquire(1)).toBeInstanceOf(Promise);
  });

  it('with a longest wait, grants a request beyond the capacity once it has waited that long (holders that stall stop no one)', async () => {
    vi.useFakeTimers();
    try {
      const budget = new ByteBudget(10, 1_000);
      budget.acquire(10);
      let granted = false;
      const waiting = budget.acquire(4)!.then(() => {
        granted = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(granted).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await waiting;
      expect(budget.inUse).toBe(14);
      // Released again, the budget is back where it was: the next request fits once it has room.
      budget.release(4);
      budget.release(10);
      expect(budget.acquire(10)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses a non-positive capacity and a release of bytes it never granted', () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
    const budget = new ByteBudget(4);
    budget.acquire(2);
    expect(() => budget.release(3)).toThrow(/more than it granted/);
  });
});
