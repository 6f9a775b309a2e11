/** Output helpers: JSON for machines (`--json`), aligned columns for people. */

/** Where a command writes and in which form. */
export interface Output {
  json: boolean;
  write(text: string): void;
}

/** Prints `value` as one JSON document, or `human()` otherwise. */
export function emit(out: Output, value: unknown, human: () => string): void {
  out.write(out.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return String(v);
}

/** A plain text table; "(none)" for no rows. */
export function table<T extends object>(rows: T[], columns: Array<[header: string, get: (row: T) => unknown]>): string {
  if (!rows.length) return '(none)';
  const cells = rows.map((r) => columns.map(([, get]) => cell(get(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

/** "key: value" lines for one record. */
export function fieldsText(entries: Array<[string, unknown]>): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${cell(v)}`).join('\n');
}
