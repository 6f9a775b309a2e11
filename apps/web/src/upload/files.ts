/**
 * Collects files from a drop (folders included, as from a referral CD or USB stick) or a file
 * picker, and tells DICOM Part-10 files from the rest of a disc (DICOMDIR, viewer software).
 */

/** A file with the path it had inside the dropped folder. */
export interface PickedFile {
  file: File;
  path: string;
}

type Entry = FileSystemEntry;

function readAll(reader: FileSystemDirectoryReader): Promise<Entry[]> {
  // readEntries returns at most ~100 entries per call: keep reading until it returns none.
  return new Promise((resolve, reject) => {
    const out: Entry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(out);
        out.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walk(entry: Entry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: `${prefix}${entry.name}` });
  } else if (entry.isDirectory) {
    for (const child of await readAll((entry as FileSystemDirectoryEntry).createReader())) await walk(child, `${prefix}${entry.name}/`, out);
  }
}

/** Every file of a drop, descending into folders. */
export async function filesFromDrop(dt: DataTransfer): Promise<PickedFile[]> {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry?.()).filter((e): e is Entry => Boolean(e));
  if (!entries.length) return [...dt.files].map((file) => ({ file, path: file.name }));
  const out: PickedFile[] = [];
  for (const e of entries) await walk(e, '', out);
  return out;
}

/** Files from an `<input type=file>` (with `webkitdirectory` they carry their relative path). */
export function filesFromInput(list: FileList | null): PickedFile[] {
  return [...(list ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/**
 * True for a DICOM Part-10 file: "DICM" after the 128-byte preamble (PS3.10 §7.1). A disc's
 * DICOMDIR is a directory, not an image, and is skipped as well.
 */
export async function isPart10Image(f: PickedFile): Promise<boolean> {
  const name = f.path.split('/').pop() ?? '';
  if (name.toUpperCase() === 'DICOMDIR' || name.startsWith('.')) return false;
  if (f.file.size < 132) return false;
  const magic = await f.file.slice(128, 132).text();
  return magic === 'DICM';
}
