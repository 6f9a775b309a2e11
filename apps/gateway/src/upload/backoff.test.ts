import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const opts = { baseMs: 1000, maxMs: 60_000 };
  it('grows exponentially up to the cap (upper bound of the jitter)', () => {
    expect(backoffDelay(1, opts, () => 0.999)).toBe(999);
    expect(backoffDelay(3, opts, () => 0.999)).toBe(3996);
    expect(backoffDelay(30, opts, () => 0.999)).toBe(59_940);
  });
  it('jitters over the whole window but never below a tenth of the base', () => {
    expect(backoffDelay(5, opts, () => 0)).toBe(100);
    expect(backoffDelay(5, opts, () => 0.5)).toBe(8000);
  });
  it('survives absurd attempt counts', () => {
    expect(backoffDelay(10_000, opts, () => 1)).toBe(60_000);
  });
});
