import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransferSyntax } from '../transfer-syntax';

/** Options for {@link convertTransferSyntax}. */
export interface ConvertOptions {
  /** Split each frame into fragments of at most this many KiB (dcmtk `+fs`). */
  fragmentSizeKb?: number;
  /** Write an empty Basic Offset Table (dcmtk `-ot`); default: filled. */
  emptyOffsetTable?: boolean;
}

/** dcmtk command (binary + flags) per target transfer syntax, for the tools Debian's dcmtk ships. */
const COMMANDS: Record<string, [string, string[]]> = {
  [TransferSyntax.ImplicitVRLittleEndian]: ['dcmconv', ['+ti']],
  [TransferSyntax.ExplicitVRLittleEndian]: ['dcmconv', ['+te']],
  [TransferSyntax.ExplicitVRBigEndian]: ['dcmconv', ['+tb']],
  [TransferSyntax.DeflatedExplicitVRLittleEndian]: ['dcmconv', ['+td']],
  [TransferSyntax.JPEGBaseline]: ['dcmcjpeg', ['+eb']],
  [TransferSyntax.JPEGExtended]: ['dcmcjpeg', ['+ee']],
  [TransferSyntax.JPEGLossless]: ['dcmcjpeg', ['+el']],
  [TransferSyntax.JPEGLosslessSV1]: ['dcmcjpeg', ['+e1']],
  [TransferSyntax.JPEGLSLossless]: ['dcmcjpls', ['+el']],
  [TransferSyntax.JPEGLSNearLossless]: ['dcmcjpls', ['+en']],
  [TransferSyntax.RLELossless]: ['dcmcrle', []],
};

/** Transfer syntaxes {@link convertTransferSyntax} can produce with the dcmtk tools installed here. */
export function convertibleTransferSyntaxes(): string[] {
  return Object.keys(COMMANDS);
}

/**
 * Re-encodes a Part-10 file with dcmtk (via temporary files). JPEG 2000, HTJ2K and video syntaxes
 * have no encoder in Debian's dcmtk: those throw. JPEG baseline needs 8-bit input, JPEG extended
 * at most 12 bits stored. Compressing tools read any native syntax; to compress an
 * already-compressed file, convert to Explicit VR Little Endian first.
 */
export function convertTransferSyntax(file: Uint8Array, transferSyntaxUid: string, options: ConvertOptions = {}): Buffer {
  const command = COMMANDS[transferSyntaxUid];
  if (!command) throw new Error(`No encoder available here for transfer syntax ${transferSyntaxUid}`);
  const [bin, flags] = command;
  const extra: string[] = [];
  if (bin !== 'dcmconv') {
    if (options.fragmentSizeKb) extra.push('+fs', String(options.fragmentSizeKb));
    if (options.emptyOffsetTable) extra.push('-ot');
  }
  const dir = mkdtempSync(join(tmpdir(), 'vetpacs-dicom-'));
  try {
    const input = join(dir, 'in.dcm');
    const output = join(dir, 'out.dcm');
    writeFileSync(input, file);
    execFileSync(bin, [...flags, ...extra, input, output], { stdio: ['ignore', 'ignore', 'pipe'] });
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
