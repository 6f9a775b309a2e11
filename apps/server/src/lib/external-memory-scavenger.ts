import { getHeapStatistics } from 'node:v8';

/** V8's `gc` (exposed by --expose-gc): `{ type: 'minor' }` runs a scavenge of the young generation. */
type GcFunction = (options: { type: 'minor' }) => void;

/**
 * Runs a young-generation collection (a scavenge) whenever off-heap memory held by JavaScript
 * objects has grown by `growthBytes` (8 MB) since the last one, checked every 10 ms.
 *
 * Why: a streamed upload or download allocates a 64 KB Buffer per socket read or file read. Each
 * dies at once, but its bytes are off the V8 heap and are freed only when the small object that
 * holds them is collected — in the young generation, at the next scavenge, which comes only once
 * the young generation is full of other allocations. With a young generation sized for tiny
 * instances (8 MB semi-spaces: −10–30 % server CPU on `many` against 4 MB), tens of MB of dead
 * buffers waited for it: peak RSS while a 2 GB study streamed in was 289–306 MB at 8 MB against
 * the 300 MB target; with this, 219–251 MB (with 32 MB and 50 ms, 252–276 MB). A scavenge of a
 * young generation that holds little but dead buffers is cheap (at 500 MB/s, ~60 a second), and a
 * check costs ~0.5 µs (docs/benchmarks.md, "Young generation size").
 */
export class ExternalMemoryScavenger {
  #floor: number;

  constructor(
    private readonly gc: GcFunction,
    private readonly readExternal: () => number = () => getHeapStatistics().external_memory,
    private readonly growthBytes = 8 * 1024 * 1024,
  ) {
    this.#floor = readExternal();
  }

  /** Checks once; scavenges if off-heap memory grew by `growthBytes` since the last scavenge. */
  tick(): boolean {
    const external = this.readExternal();
    if (external - this.#floor < this.growthBytes) {
      // Freed by V8's own collections: measure growth from the new low.
      this.#floor = Math.min(this.#floor, external);
      return false;
    }
    this.gc({ type: 'minor' });
    this.#floor = this.readExternal();
    return true;
  }

  /**
   * Checks every `intervalMs` (unreferenced: never keeps the process alive). Without --expose-gc
   * (tests, `tsx`) there is no `gc` to call: returns undefined and does nothing.
   */
  static start(intervalMs = 10): (() => void) | undefined {
    const gc = (globalThis as { gc?: GcFunction }).gc;
    if (typeof gc !== 'function') return undefined;
    const scavenger = new ExternalMemoryScavenger(gc);
    const timer = setInterval(() => scavenger.tick(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
