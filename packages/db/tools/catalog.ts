/**
 * A normalised, comparable description of a database schema (public schema only): enums, columns,
 * indexes and constraints as sorted lines. Functions, triggers and extensions are not described —
 * they only come from hand-written SQL.
 */
import pg from 'pg';

/** Objects whose name starts with this come from hand-written SQL and are not compared. */
export const MANUAL_PREFIX = 'manual_';
const IGNORED_TABLES = new Set(['_prisma_migrations']);

/** Lines describing the schema of the database at `url`, sorted. */
export async function describeSchema(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const lines: string[] = [];
    const enums = await client.query<{ name: string; labels: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`);
    for (const r of enums.rows) lines.push(`enum ${r.name} (${r.labels.join(', ')})`);

    const columns = await client.query<{ tbl: string; col: string; type: string; notnull: boolean; def: string | null }>(`
      SELECT c.relname AS tbl, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
             a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS def
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped`);
    for (const r of columns.rows) {
      if (IGNORED_TABLES.has(r.tbl)) continue;
      lines.push(`column ${r.tbl}.${r.col} ${r.type}${r.notnull ? ' NOT NULL' : ''}${r.def ? ` DEFAULT ${r.def}` : ''}`);
    }

    const indexes = await client.query<{ tbl: string; name: string; def: string }>(`
      SELECT tablename AS tbl, indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = 'public'`);
    for (const r of indexes.rows) {
      if (IGNORED_TABLES.has(r.tbl) || r.name.startsWith(MANUAL_PREFIX)) continue;
      lines.push(`index ${r.def}`);
    }

    const constraints = await client.query<{ tbl: string; name: string; def: string }>(`
      SELECT c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
      FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public'`);
    for (const r of constraints.rows) {
      if (IGNORED_TABLES.has(r.tbl) || r.name.startsWith(MANUAL_PREFIX)) continue;
      lines.push(`constraint ${r.tbl}.${r.name} ${r.def}`);
    }
    return lines.sort();
  } finally {
    await client.end();
  }
}

/** Lines present in only one of two descriptions, labelled with the side they are on. */
export function diffDescriptions(a: string[], b: string[], labelA: string, labelB: string): string[] {
  const setA = new Set(a);
  const setB = new Set(b);
  return [
    ...a.filter((l) => !setB.has(l)).map((l) => `only in ${labelA}: ${l}`),
    ...b.filter((l) => !setA.has(l)).map((l) => `only in ${labelB}: ${l}`),
  ];
}
