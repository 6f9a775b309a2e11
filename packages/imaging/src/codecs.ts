import { createRequire } from 'node:module';

// dcmjs, dcmjs-imaging and dcmjs-codecs ship UMD bundles without ESM named exports: load them with
// require. Their WASM codecs (libjpeg-turbo/libijg, CharLS, OpenJPEG, OpenJPH, RLE) live next to the
// bundles and are loaded once per process.
const require = createRequire(import.meta.url);

/**
 * A module required on first property access, not at import: the three libraries cost ~20 MB of
 * resident memory, and a server process that only ingests and serves stored bytes never needs them.
 */
function lazyRequire<T extends object>(id: string, onLoad?: (m: T) => void): T {
  let loaded: T | undefined;
  const load = () => {
    if (!loaded) {
      loaded = require(id) as T;
      onLoad?.(loaded);
    }
    return loaded;
  };
  return new Proxy({} as T, {
    get: (_t, prop) => Reflect.get(load(), prop),
    has: (_t, prop) => Reflect.has(load(), prop),
  });
}

/** dcmjs-imaging: renders frames to RGBA with the image's own LUT pipeline. */
export const imaging = lazyRequire<typeof import('dcmjs-imaging')>('dcmjs-imaging');
/** dcmjs-codecs: decodes and encodes whole data sets between transfer syntaxes. */
export const codecs = lazyRequire<typeof import('dcmjs-codecs')>('dcmjs-codecs');
/** dcmjs: Part-10 reading/writing and (de)naturalisation. */
// dcmjs warns on stderr for every private or unknown-VR element ("Invalid vr type ox"): noise.
export const dcmjs = lazyRequire<DcmjsApi>('dcmjs', (m) => m.log?.setLevel('error'));

/** The dcmjs data API subset this package uses (dcmjs ships no typings). */
export interface DcmjsApi {
  log?: { setLevel(level: string): void };
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
    DicomMetaDictionary: { naturalizeDataset(ds: Record<string, unknown>): Record<string, unknown> };
  };
}

let ready: Promise<void> | undefined;

/**
 * Initialises both WASM modules (idempotent, shared by every caller in the process). Must resolve
 * before any decode, render or transcode.
 */
export function initCodecs(): Promise<void> {
  ready ??= (async () => {
    imaging.log.setLevel('error');
    codecs.log.setLevel('error');
    await Promise.all([
      imaging.NativePixelDecoder.initializeAsync({ webAssemblyModulePathOrUrl: require.resolve('dcmjs-imaging/build/dcmjs-native-codecs.wasm') }),
      codecs.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: require.resolve('dcmjs-codecs/build/dcmjs-native-codecs.wasm') }),
    ]);
  })();
  return ready;
}

/** A Node Buffer's bytes as a standalone ArrayBuffer (the libraries index from offset 0). */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
    ? b.buffer
    : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}
