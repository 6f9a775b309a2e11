import { describe, expect, it } from 'vitest';
import { DicomValidationError } from '../errors';
import { convertTransferSyntax, makeCorruptVariants, makeDicom } from '../testing';
import { TransferSyntax } from '../transfer-syntax';
import { HeaderCollector } from './header-collector';

function collect(bytes: Uint8Array): unknown {
  const c = new HeaderCollector();
  try {
    for (let i = 0; i < bytes.length; i += 4096) c.push(bytes.subarray(i, i + 4096));
    return c.finish();
  } catch (e) {
    return e;
  }
}

describe('corrupt inputs are refused with the right code', () => {
  it.each(makeCorruptVariants().map((v) => [v.name, v] as const))('%s', (_n, v) => {
    const err = collect(v.bytes);
    expect(err).toBeInstanceOf(DicomValidationError);
    expect((err as DicomValidationError).code).toBe(v.expected);
  });

  it('names the tag in the reason', () => {
    const v = makeCorruptVariants().find((x) => x.name === 'SOPInstanceUID with ../')!;
    expect((collect(v.bytes) as DicomValidationError).reason).toBe("SOPInstanceUID (0008,0018) is not a valid UID: '1.2.3/../x'");
  });

  it('detects truncation inside encapsulated pixel data', () => {
    const file = convertTransferSyntax(makeDicom({ frames: 3 }), TransferSyntax.JPEGLSLossless);
    // 8 = just the sequence delimiter missing; others cut inside fragments.
    for (const cut of [8, 10, 500]) {
      const err = collect(file.subarray(0, file.length - cut));
      expect((err as DicomValidationError).code, `cut ${cut}`).toBe('TRUNCATED');
    }
  });

  it('refuses native pixel data shorter than the image geometry', () => {
    const file = makeDicom({ extra: [{ tag: 0x00280010, vr: 'US', value: 512 }] });
    expect((collect(file) as DicomValidationError).code).toBe('PIXEL_DATA_MISMATCH');
  });

  it('refuses a missing SOPInstanceUID', () => {
    const file = makeDicom({ fileMeta: false, extra: [] });
    const without = makeDicom({ fileMeta: false, extra: [{ tag: 0x00080018, vr: 'UI', value: undefined }] });
    expect(collect(file)).not.toBeInstanceOf(Error);
    expect((collect(without) as DicomValidationError).code).toBe('MISSING_UID');
  });
});
