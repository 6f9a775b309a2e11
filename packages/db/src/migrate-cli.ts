/** `pnpm db:migrate`: applies pending migrations to DATABASE_URL. */
import { fields, loadConfigOrExit } from '@vetpacs/config';
import { z } from 'zod';
import { migrate } from './migrate';

const config = loadConfigOrExit(z.object({ DATABASE_URL: fields.postgresUrl }), process.env, 'db:migrate');
const { applied } = await migrate(config.DATABASE_URL, { log: (line) => process.stdout.write(`${line}\n`) });
process.stdout.write(applied.length ? `${applied.length} migration(s) applied\n` : 'database is up to date\n');
