import { describe, expect, it } from 'vitest';
import { PartBuffers } from './part-buffers';

describe('PartBuffers', () => {
  it('hands a given-back buffer of the part size out again, and makes a taker wait while the budget is out', async () => {
    const buffers = new PartBuffers(4, 8);
    const a = buffers.take(4) as Buffer;
    const b = buffers.take(4) as Buffer;
    expect(a).not.toBe(b);
    const third = buffers.take(4);
    expect(third).toBeInstanceOf(Promise);
    buffers.give(a);
    expect(await third).toBe(a);
    expect(buffers.inUse).toBe(8);
  });

  it('does not keep buffers of another size (a larger part for a huge object), but counts them', () => {
    const buffers = new PartBuffers(4, 16);
    const big = buffers.take(12) as Buffer;
    expect(big.length).toBe(12);
    expect(buffers.inUse).toBe(12);
    buffers.give(big);
    expect(buffers.inUse).toBe(0);
    expect(buffers.take(12)).not.toBe(big);
  });
});
