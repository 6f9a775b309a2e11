import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BandwidthWindow {
  /** ISO weekdays 1 (Mon) … 7 (Sun); empty = every day. */
  days: number[];
  from: string;
  to: string;
  bytesPerSec: number;
}

export interface BandwidthPolicy {
  /** Cap outside any window; 0 = unlimited. */
  bytesPerSec: number;
  schedule: BandwidthWindow[];
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * The cap in force at `at` (local time): the first matching window, else the default. A window
 * whose `to` is before its `from` runs over midnight (e.g. 22:00–06:00).
 */
export function rateAt(policy: BandwidthPolicy, at: Date): number {
  const day = at.getDay() === 0 ? 7 : at.getDay();
  const m = at.getHours() * 60 + at.getMinutes();
  for (const w of policy.schedule) {
    const from = minutes(w.from);
    const to = minutes(w.to);
    const inTime = from <= to ? m >= from && m < to : m >= from || m < to;
    if (inTime && (w.days.length === 0 || w.days.includes(day))) return w.bytesPerSec;
  }
  return policy.bytesPerSec;
}

/**
 * One token bucket shared by every upload of the gateway, so parallel uploads together stay under
 * the cap. Requests are served in order; the burst allowance is a quarter second of traffic.
 */
export class Throttle {
  private tokens = 0;
  private last = Date.now();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly policy: BandwidthPolicy,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Current cap in bytes/s (0 = unlimited). */
  get rate(): number {
    return rateAt(this.policy, this.now());
  }

  /** Resolves when `bytes` may be sent. */
  take(bytes: number): Promise<void> {
    const next = this.chain.then(() => this.wait(bytes));
    this.chain = next.catch(() => {});
    return next;
  }

  private async wait(bytes: number): Promise<void> {
    for (;;) {
      const rate = this.rate;
      if (rate <= 0) return;
      const t = Date.now();
      this.tokens = Math.min(rate / 4, this.tokens + ((t - this.last) / 1000) * rate);
      this.last = t;
      // A request bigger than the bucket is let through once the bucket is full (tokens go negative).
      if (this.tokens >= Math.min(bytes, rate / 4)) {
        this.tokens -= bytes;
        return;
      }
      await sleep(Math.max(5, Math.ceil(((Math.min(bytes, rate / 4) - this.tokens) / rate) * 1000)));
    }
  }

  /** A pass-through stream paced by this bucket (16 KiB pieces keep the pace smooth). */
  stream(): Transform {
    const throttle = this;
    return new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback) {
        if (throttle.rate <= 0) {
          callback(null, chunk);
          return;
        }
        void (async () => {
          for (let off = 0; off < chunk.length; off += 16_384) {
            const piece = chunk.subarray(off, off + 16_384);
            await throttle.take(piece.length);
            this.push(piece);
          }
        })().then(() => callback(), callback);
      },
    });
  }
}
