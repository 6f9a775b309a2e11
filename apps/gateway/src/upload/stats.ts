/** Bytes sent per second over the last minute (for the status page and the ETA). */
export class UploadStats {
  private readonly buckets = new Map<number, number>();

  add(bytes: number, now = Date.now()): void {
    if (bytes <= 0) return;
    const s = Math.floor(now / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + bytes);
    for (const k of this.buckets.keys()) if (k < s - 60) this.buckets.delete(k);
  }

  /** Average bytes/s over the last `seconds` (default 60). */
  rate(seconds = 60, now = Date.now()): number {
    const s = Math.floor(now / 1000);
    let sum = 0;
    for (const [k, v] of this.buckets) if (k > s - seconds) sum += v;
    return sum / seconds;
  }
}
