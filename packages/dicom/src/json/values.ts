import { trimEndPadding, trimStartSpaces } from '../padding';

/**
 * Splits a string value into its values (backslash, PS3.5 §6.4) and removes padding per VR
 * (PS3.5 Table 6.2-1): leading and trailing spaces are insignificant for most VRs; only trailing
 * ones for ST, LT, UT, UR, DT, TM, DA; UI is padded with NUL. Single-valued text VRs (ST, LT, UT,
 * UR) are not split. Empty values become `null` (PS3.18 §F.2.5).
 */
export function splitStringValues(text: string, vr: string): (string | null)[] {
  const single = vr === 'ST' || vr === 'LT' || vr === 'UT' || vr === 'UR';
  const raw = single ? [text] : text.split('\\');
  const trailingOnly = single || vr === 'DT' || vr === 'TM' || vr === 'DA';
  const values = raw.map((v) => {
    const t = trimEndPadding(v);
    const s = trailingOnly ? t : trimStartSpaces(t);
    return s === '' ? null : s;
  });
  return values.length === 1 && values[0] === null ? [] : values;
}

const SIZES: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, SV: 8, UV: 8 };

/** Binary numbers of a numeric VR; 64-bit integers beyond 2^53 stay exact as strings (PS3.18 §F.2.3.1). */
export function binaryNumbers(bytes: Uint8Array, vr: string, le: boolean): (number | string)[] {
  const size = SIZES[vr]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: (number | string)[] = [];
  for (let at = 0; at + size <= bytes.length; at += size) {
    switch (vr) {
      case 'US':
        out.push(view.getUint16(at, le));
        break;
      case 'SS':
        out.push(view.getInt16(at, le));
        break;
      case 'UL':
        out.push(view.getUint32(at, le));
        break;
      case 'SL':
        out.push(view.getInt32(at, le));
        break;
      case 'FL':
        out.push(view.getFloat32(at, le));
        break;
      case 'FD':
        out.push(view.getFloat64(at, le));
        break;
      default: {
        const big = vr === 'SV' ? view.getBigInt64(at, le) : view.getBigUint64(at, le);
        out.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString());
      }
    }
  }
  return out;
}
