import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { BundleFormatError, bundleSize, readBundle, writeBundle } from './index';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function members(n: number) {
  return Array.from({ length: n }, (_, i) => {
    const bytes = Buffer.alloc(1000 + i * 313, i + 1);
    return { name: `${String(i).padStart(4, '0')}.dcm`, size: bytes.length, sha256: sha(bytes), source: () => Readable.from([bytes]), bytes };
  });
}

describe('bundle', () => {
  it('round-trips members with exact predicted size', async () => {
    const ms = members(5);
    const tarBytes = await buffer(writeBundle(ms));
    expect(tarBytes.length).toBe(bundleSize(ms));
    const got: { name: string; sha: string }[] = [];
    const { manifest, missing } = await readBundle(Readable.from([tarBytes]), async (ev) => {
      if (ev.kind !== 'member') throw new Error('unexpected');
      got.push({ name: ev.entry.name, sha: sha(await buffer(ev.body)) });
    });
    expect(manifest.instances).toHaveLength(5);
    expect(missing).toEqual([]);
    expect(got).toEqual(ms.map((m) => ({ name: m.name, sha: m.sha256 })));
  });

  it('reports manifest entries that never arrived', async () => {
    const ms = members(3);
    const full = await buffer(writeBundle(ms));
    // Cut after the manifest + first member, then append a proper tar end.
    const firstEnd = 512 + Math.ceil(Buffer.byteLength(JSON.stringify({ format: 'vetpacs-bundle/1', instances: ms.map(({ name, size, sha256 }) => ({ name, size, sha256 })) })) / 512) * 512 + 512 + Math.ceil(ms[0]!.size / 512) * 512;
    const cut = Buffer.concat([full.subarray(0, firstEnd), Buffer.alloc(1024)]);
    const { missing } = await readBundle(Readable.from([cut]), async (ev) => {
      ev.body.resume();
    });
    expect(missing.map((m) => m.name)).toEqual([ms[1]!.name, ms[2]!.name]);
  });

  it('rejects non-tar bytes and a bundle whose first member is not the manifest', async () => {
    await expect(readBundle(Readable.from([Buffer.from('not a tar at all'.repeat(100))]), async () => {})).rejects.toBeInstanceOf(BundleFormatError);
    const pack = tar.pack();
    pack.entry({ name: '0001.dcm' }, 'x');
    pack.finalize();
    await expect(readBundle(Readable.from([await buffer(pack)]), async () => {})).rejects.toThrow(/first bundle member must be manifest.json/);
  });

  it('flags members that are not in the manifest', async () => {
    const pack = tar.pack();
    const b = Buffer.from('abc');
    pack.entry({ name: 'manifest.json' }, JSON.stringify({ format: 'vetpacs-bundle/1', instances: [{ name: 'a.dcm', size: 3, sha256: sha(b) }] }));
    pack.entry({ name: 'a.dcm' }, b);
    pack.entry({ name: 'evil.dcm' }, b);
    pack.finalize();
    const kinds: string[] = [];
    await readBundle(Readable.from([await buffer(pack)]), async (ev) => {
      kinds.push(ev.kind);
    });
    expect(kinds).toEqual(['member', 'unexpected']);
  });
});
