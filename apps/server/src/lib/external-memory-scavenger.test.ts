import { describe, expect, it } from 'vitest';
import { ExternalMemoryScavenger } from './external-memory-scavenger';

const MB = 1024 * 1024;

/** A scavenger over a scripted off-heap size; a scavenge frees `freed` bytes of it. */
function scripted(start: number, freed: number) {
  let external = start;
  const calls: unknown[] = [];
  const scavenger = new ExternalMemoryScavenger(
    (options) => {
      calls.push(options);
      external -= freed;
    },
    () => external,
    32 * MB,
  );
  return { scavenger, calls, grow: (bytes: number) => (external += bytes) };
}

describe('ExternalMemoryScavenger', () => {
  it('scavenges the young generation once off-heap memory grew by the threshold, then measures from what is left', () => {
    const { scavenger, calls, grow } = scripted(10 * MB, 30 * MB);
    grow(31 * MB);
    expect(scavenger.tick()).toBe(false);
    grow(2 * MB); // 33 MB above the start
    expect(scavenger.tick()).toBe(true);
    expect(calls).toEqual([{ type: 'minor' }]);
    // 13 MB left after the scavenge: the next one only after 32 MB more.
    grow(31 * MB);
    expect(scavenger.tick()).toBe(false);
    grow(1 * MB);
    expect(scavenger.tick()).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('follows memory freed by V8 itself down, so growth counts from the new low', () => {
    const { scavenger, calls, grow } = scripted(100 * MB, 0);
    grow(-60 * MB); // a collection V8 ran on its own
    expect(scavenger.tick()).toBe(false);
    grow(33 * MB); // 73 MB: below the old 100 MB, but 33 MB above the new low
    expect(scavenger.tick()).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('does nothing without an exposed gc (no --expose-gc)', () => {
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    expect(ExternalMemoryScavenger.start()).toBeUndefined();
  });
});
