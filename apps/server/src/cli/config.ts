/** The admin CLI's configuration: just the database it administers. */
import { fields, loadConfigOrExit } from '@vetpacs/config';
import { z } from 'zod';

const schema = z.object({ DATABASE_URL: fields.postgresUrl });

/** Parsed CLI config (frozen). */
export type CliConfig = Readonly<z.infer<typeof schema>>;

/** Parses the environment once; prints every problem and exits 1 when it is invalid. */
export function loadCliConfig(env: Record<string, string | undefined> = process.env): CliConfig {
  return loadConfigOrExit(schema, env, 'pacs');
}
