import { describe, expect, it } from 'vitest';
import { makeDicom } from '../testing';
import { HeaderCollector } from './header-collector';

describe('constant memory ingest', () => {
  it('a 300 MB native file fed in 1 MB chunks leaves < 1 MB retained', () => {
    // A small real header whose Pixel Data declares 300 MB; the value bytes are streamed, not built.
    const rows = 10_000;
    const columns = 15_000;
    const header = makeDicom({ rows: 8, columns: 8, extra: [{ tag: 0x00280010, vr: 'US', value: rows }, { tag: 0x00280011, vr: 'US', value: columns }] });
    const pixelTagAt = header.length - 8 * 8 * 2 - 12;
    const declared = rows * columns * 2;
    const prefix = Buffer.from(header.subarray(0, pixelTagAt + 12));
    prefix.writeUInt32LE(declared, pixelTagAt + 8);
    const c = new HeaderCollector();
    c.push(prefix);
    const chunk = Buffer.alloc(1024 * 1024, 0x11);
    let sent = 0;
    let maxRetained = 0;
    while (sent < declared) {
      const n = Math.min(chunk.length, declared - sent);
      c.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      sent += n;
      maxRetained = Math.max(maxRetained, c.retainedBytes);
    }
    const p = c.finish();
    expect(p.totalSize).toBe(prefix.length + declared);
    expect(p.pixelData).toMatchObject({ offset: prefix.length, length: declared, complete: true });
    expect(p.pixelData?.frames[0]).toEqual({ ranges: [{ offset: prefix.length, length: declared }], length: declared });
    expect(maxRetained).toBeLessThan(1024 * 1024);
    expect(c.retainedBytes).toBeLessThan(prefix.length + 1);
  });
});
