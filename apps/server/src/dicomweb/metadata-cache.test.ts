import { describe, expect, it } from 'vitest';
import { RepresentationCache } from './metadata-cache';

describe('RepresentationCache', () => {
  it('builds once per key, also for concurrent misses', async () => {
    const cache = new RepresentationCache(1000);
    let builds = 0;
    const build = async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 5));
      return Buffer.from('doc');
    };
    const [a, b] = await Promise.all([cache.get('k', build), cache.get('k', build)]);
    expect(await cache.get('k', build)).toBe(a);
    expect(b).toBe(a);
    expect(builds).toBe(1);
  });

  it('evicts the least recently used entries beyond its budget and skips oversized ones', async () => {
    const cache = new RepresentationCache(400);
    const bytes = (n: number) => async () => Buffer.alloc(n);
    await cache.get('a', bytes(100));
    await cache.get('b', bytes(100));
    await cache.get('c', bytes(100));
    await cache.get('a', bytes(100)); // a is now the most recently used
    await cache.get('d', bytes(100));
    await cache.get('e', bytes(100)); // over budget: b (least recently used) goes
    expect(cache.size).toBe(400);
    let rebuilt = false;
    await cache.get('b', async () => {
      rebuilt = true;
      return Buffer.alloc(0);
    });
    expect(rebuilt).toBe(true);
    await cache.get('huge', bytes(101)); // more than a quarter of the budget: served, not kept
    expect(cache.size).toBe(400);
  });

  it('does not keep failures', async () => {
    const cache = new RepresentationCache(100);
    await expect(cache.get('k', () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    expect((await cache.get('k', async () => Buffer.from('ok'))).toString()).toBe('ok');
  });
});
