import { TextDecoder } from 'node:util';

/**
 * Text decoding by Specific Character Set (0008,0005), PS3.3 §C.12.1.1.2 and PS3.5 §6.1. Values
 * map to WHATWG encoding labels Node's TextDecoder understands. Code extensions (ISO 2022 with
 * escape sequences) are approximated by the single-byte set or ISO-2022-JP for Japanese.
 */
const LABELS: Record<string, string> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_13: 'shift_jis',
  ISO_IR_166: 'windows-874',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
  ISO_2022_IR_87: 'iso-2022-jp',
  ISO_2022_IR_159: 'iso-2022-jp',
  ISO_2022_IR_149: 'euc-kr',
  ISO_2022_IR_58: 'gb18030',
};

export type TextDecode = (bytes: Uint8Array) => string;

const cache = new Map<string, TextDecode>();

/**
 * Decoder for a Specific Character Set value (possibly multi-valued, e.g. `\ISO 2022 IR 87`).
 * Unknown terms fall back to Latin-1 so that no value is ever lost to a decode error.
 */
export function decoderFor(specificCharacterSet: string | undefined): TextDecode {
  const key = (specificCharacterSet ?? '').trim();
  const hit = cache.get(key);
  if (hit) return hit;
  const terms = key.split('\\').map((t) => t.trim().replace(/[ -]/g, '_'));
  const chosen = terms.find((t) => t.startsWith('ISO_2022_IR_') && t !== 'ISO_2022_IR_6' && LABELS[t]) ?? terms.find((t) => t !== '') ?? '';
  const label = LABELS[chosen] ?? LABELS[chosen.replace('ISO_2022_', 'ISO_')] ?? 'latin1';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label);
  } catch {
    decoder = new TextDecoder('latin1');
  }
  const fn: TextDecode = (bytes) => decoder.decode(bytes);
  cache.set(key, fn);
  return fn;
}
