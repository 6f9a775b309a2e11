// Minimal typings for the parts of dcmjs 0.52 this package uses (dcmjs ships no types).
declare module 'dcmjs' {
  interface DictEntry {
    tag: string;
    vr: string;
    vm: string;
    name: string;
    version: string;
  }
  interface DenaturalizedElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
  }
  class DicomDict {
    constructor(meta: Record<string, DenaturalizedElement>);
    meta: Record<string, DenaturalizedElement>;
    dict: Record<string, DenaturalizedElement>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }
  const dcmjs: {
    data: {
      DicomMetaDictionary: {
        nameMap: Record<string, DictEntry>;
        dictionary: Record<string, DictEntry>;
        naturalizeDataset(ds: Record<string, DenaturalizedElement>): Record<string, unknown>;
        denaturalizeDataset(ds: Record<string, unknown>): Record<string, DenaturalizedElement>;
        uid(): string;
      };
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict;
      };
      DicomDict: typeof DicomDict;
    };
  };
  export default dcmjs;
}
