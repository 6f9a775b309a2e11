import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { BUNDLE_FORMAT, type BundleManifestEntry, MANIFEST_NAME } from './format';

export interface BundleMember extends BundleManifestEntry {
  /** Where the member's bytes come from: a file path or a stream factory. */
  source: string | (() => Readable);
}

/**
 * Streams a bundle (tar: manifest first, then each member) without holding members in memory.
 * Sizes and hashes must be known up front (the gateway computes them when it spools an instance).
 */
export function writeBundle(members: BundleMember[]): Readable {
  const pack = tar.pack();
  const manifest = JSON.stringify({
    format: BUNDLE_FORMAT,
    instances: members.map(({ name, size, sha256 }) => ({ name, size, sha256 })),
  });
  void (async () => {
    try {
      pack.entry({ name: MANIFEST_NAME, size: Buffer.byteLength(manifest) }, manifest);
      for (const m of members) {
        const entry = pack.entry({ name: m.name, size: m.size });
        const src = typeof m.source === 'string' ? createReadStream(m.source) : m.source();
        await pipeline(src, entry);
      }
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}

/** Exact byte length of the bundle `writeBundle` produces (tus needs Upload-Length up front). */
export function bundleSize(members: Pick<BundleManifestEntry, 'name' | 'size' | 'sha256'>[]): number {
  const manifest = JSON.stringify({ format: BUNDLE_FORMAT, instances: members.map(({ name, size, sha256 }) => ({ name, size, sha256 })) });
  const block = (n: number) => 512 + Math.ceil(n / 512) * 512;
  // Two zero blocks end the archive; tar-stream pads the total to a multiple of 512 only.
  return block(Buffer.byteLength(manifest)) + members.reduce((sum, m) => sum + block(m.size), 0) + 1024;
}
