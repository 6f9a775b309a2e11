import { randomBytes } from 'node:crypto';
import {
  type Actor,
  createGateway,
  createPractice,
  createSite,
  createUser,
  type Db,
  getMemberByEmail,
  getPracticeBySlug,
  getSiteByCode,
  listSites,
} from '@vetpacs/db';
import { makeDicom } from '@vetpacs/dicom/testing';
import { demoStudies } from './studies';

export const DEMO = {
  practiceName: 'Riverside Vets',
  slug: 'riverside',
  password: 'riverside-demo',
  users: [
    { email: 'vet@riverside.example', name: 'Dr Emma Hart', role: 'VET' },
    { email: 'admin@riverside.example', name: 'Sam Patel (practice manager)', role: 'OWNER_ADMIN' },
    { email: 'nurse@riverside.example', name: 'Chris Lee (RVN)', role: 'NURSE' },
    { email: 'reception@riverside.example', name: 'Reception desk', role: 'READ_ONLY' },
  ],
  sites: [
    { code: 'MAIN', name: 'Riverside – Main St' },
    { code: 'HILL', name: 'Hillside branch' },
  ],
} as const;

const actor: Actor = { type: 'SYSTEM', id: 'demo-seed' };

/**
 * Creates the demo practice (idempotent) and, the first time, sends its demo studies through the
 * real ingest path: STOW-RS to the running server with each site's own gateway credentials, so the
 * site of origin, receipts and jobs are exactly what a real branch produces.
 */
export async function seedDemo(db: Db, serverUrl: string, log: (msg: string) => void): Promise<void> {
  let practice = await getPracticeBySlug(db, DEMO.slug);
  practice ??= await createPractice(db, { name: DEMO.practiceName, slug: DEMO.slug }, actor);
  for (const s of DEMO.sites) {
    if (!(await getSiteByCode(db, practice.id, s.code))) await createSite(db, practice.id, { name: s.name, code: s.code }, actor);
  }
  for (const u of DEMO.users) {
    if (!(await getMemberByEmail(db, practice.id, u.email))) {
      await createUser(db, practice.id, { email: u.email, name: u.name, role: u.role, password: DEMO.password }, actor);
    }
  }
  if ((await db.study.count({ where: { practiceId: practice.id } })) > 0) return;

  const sites = await listSites(db, practice.id);
  const auth = new Map<string, string>();
  for (const site of sites) {
    const gw = await createGateway(db, practice.id, { siteId: site.id, name: `${site.code.toLowerCase()}-demo-${randomBytes(2).toString('hex')}` }, actor);
    auth.set(site.code, `Basic ${Buffer.from(`${gw.keyId}:${gw.secret}`).toString('base64')}`);
  }
  for (const study of demoStudies()) {
    const boundary = `demo-${randomBytes(8).toString('hex')}`;
    const parts = study.instances.flatMap((opts) => [
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      makeDicom(opts),
      Buffer.from('\r\n'),
    ]);
    const res = await fetch(`${serverUrl}/dicomweb/studies`, {
      method: 'POST',
      headers: { authorization: auth.get(study.siteCode)!, 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` },
      body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    });
    if (res.status !== 200) throw new Error(`demo study "${study.label}" was not stored: HTTP ${res.status} ${await res.text()}`);
    log(`  seeded ${study.label} (${study.instances.length} instances, ${study.siteCode})`);
  }
}
