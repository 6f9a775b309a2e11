/** `scripts/start.ts` runs this once the server is ready: seeds the demo practice, prints the login. */
import { fields, loadConfigOrExit } from '@vetpacs/config';
import { createDb } from '@vetpacs/db';
import { z } from 'zod';
import { DEMO, seedDemo } from './seed';

const config = loadConfigOrExit(z.object({ DATABASE_URL: fields.postgresUrl, SEED_SERVER_URL: fields.httpUrl }), process.env, 'demo-seed');
const db = createDb(config.DATABASE_URL, { maxConnections: 2 });
try {
  await seedDemo(db, config.SEED_SERVER_URL, (m) => process.stderr.write(`${m}\n`));
  process.stdout.write(`  Demo practice: ${DEMO.practiceName} (${DEMO.sites.map((s) => s.name).join(', ')})\n`);
  for (const u of DEMO.users) process.stdout.write(`  Sign in as ${u.email.padEnd(28)} password ${DEMO.password}   (${u.role})\n`);
} finally {
  await db.close();
}
