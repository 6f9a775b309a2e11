import type { Readable } from 'node:stream';

import { text } from 'node:stream/consumers';
import tar from 'tar-stream';
import { type BundleManifest, type BundleManifestEntry, MANIFEST_NAME, manifestSchema } from './format';

export class BundleFormatError extends Error {
  override name = 'BundleFormatError';
}

export type BundleEvent =
  | { kind: 'member'; entry: BundleManifestEntry; body: Readable }
  | { kind: 'unexpected'; name: string; reason: string; body: Readable };

/**
 * Reads a bundle stream member by member. `onMember` is awaited before the next member is read
 * (tar is sequential), so memory stays constant. Returns the manifest and the entries the manifest
 * listed that never arrived. Throws BundleFormatError for a bad/missing manifest or a broken tar.
 */
export async function readBundle(
  source: Readable,
  onMember: (ev: BundleEvent) => Promise<void>,
): Promise<{ manifest: BundleManifest; missing: BundleManifestEntry[] }> {
  const extract = tar.extract();
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract);
  let manifest: BundleManifest | null = null;
  const byName = new Map<string, BundleManifestEntry>();
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const body = entry as unknown as Readable;
      if (!manifest) {
        if (name !== MANIFEST_NAME) throw new BundleFormatError(`the first bundle member must be ${MANIFEST_NAME}, got ${name}`);
        if ((entry.header.size ?? 0) > 16 * 1024 * 1024) throw new BundleFormatError('manifest larger than 16 MB');
        let json: unknown;
        try {
          json = JSON.parse(await text(body));
        } catch {
          throw new BundleFormatError('manifest.json is not valid JSON');
        }
        const parsed = manifestSchema.safeParse(json);
        if (!parsed.success) throw new BundleFormatError(`invalid manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
        manifest = parsed.data;
        for (const e of manifest.instances) {
          if (byName.has(e.name)) throw new BundleFormatError(`manifest lists ${e.name} twice`);
          byName.set(e.name, e);
        }
        continue;
      }
      const listed = byName.get(name);
      if (entry.header.type !== 'file') {
        await onMember({ kind: 'unexpected', name, reason: `member ${name} is not a regular file`, body });
      } else if (!listed) {
        await onMember({ kind: 'unexpected', name, reason: `member ${name} is not listed in the manifest`, body });
      } else if (seen.has(name)) {
        await onMember({ kind: 'unexpected', name, reason: `member ${name} appears twice`, body });
      } else {
        seen.add(name);
        await onMember({ kind: 'member', entry: listed, body });
      }
      entry.resume(); // skip whatever the handler did not read
    }
  } catch (err) {
    if (err instanceof BundleFormatError) throw err;
    throw new BundleFormatError(`broken bundle: ${(err as Error).message}`);
  }
  if (!manifest) throw new BundleFormatError('empty bundle: no manifest');
  return { manifest, missing: manifest.instances.filter((e) => !seen.has(e.name)) };
}
