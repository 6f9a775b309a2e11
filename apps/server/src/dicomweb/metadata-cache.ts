/**
 * Finished WADO-RS metadata representations (root resolved, content-coded), kept in memory and
 * keyed by their strong ETag: the ETag already names everything the bytes depend on (series
 * version, instance count, public root, content coding), so a key can never serve stale bytes.
 *
 * Why a cache at all: the worker's document cannot be sent as stored. Its BulkDataURIs carry the
 * `{{DICOMWEB_ROOT}}` placeholder (the public origin is a property of the request, not of the data),
 * so every response used to gunzip 2 MB, substitute, and gzip or brotli it again — tens of ms of
 * CPU per 300-slice series. Now that happens once per (series version, root, coding); repeat
 * requests are one buffer write. Bounded LRU; concurrent misses for one key share one build.
 */
export class RepresentationCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly building = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  /** @param maxBytes memory budget; one entry may take at most a quarter of it. */
  constructor(private readonly maxBytes: number) {}

  /** The cached bytes for `key`, else the result of `build` (cached when it fits). */
  get(key: string, build: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(key);
    if (hit) {
      // Map iteration order is insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return Promise.resolve(hit);
    }
    let pending = this.building.get(key);
    if (!pending) {
      pending = build()
        .then((bytes) => {
          this.add(key, bytes);
          return bytes;
        })
        .finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  /** Bytes held (for tests and diagnostics). */
  get size(): number {
    return this.bytes;
  }

  private add(key: string, bytes: Buffer): void {
    if (bytes.length > this.maxBytes / 4 || this.entries.has(key)) return;
    this.entries.set(key, bytes);
    this.bytes += bytes.length;
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= old.length;
    }
  }
}
