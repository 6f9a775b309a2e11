import { setDeviceNameStyle, updateSite } from '@vetpacs/db';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPractice, startTestServer, type TestPractice, type TestServer } from './harness';
import { completed, tusUpload } from './tus-client';

const actor = { type: 'SYSTEM' as const, id: 'test' };

describe('veterinary identity at ingest', () => {
  let server: TestServer;
  let practice: TestPractice;

  beforeAll(async () => {
    server = await startTestServer();
    practice = await createTestPractice(server.deps.db);
  });
  afterAll(async () => {
    await server.close();
  });

  const patient = (patientId: string) => server.deps.db.patient.findFirstOrThrow({ where: { practiceId: practice.id, patientId } });

  it('reads Owner^Pet by default and keeps the raw header value', async () => {
    const file = makeDicom({ seed: 9100, patientId: 'VI-1', patientName: 'Hughes^Biscuit', responsiblePerson: '', species: 'K9', breed: 'Beagle', sex: 'F', neutered: 'UNALTERED' });
    expect(completed(await tusUpload(server.url, practice.gatewayAuth, file)).body.receipts[0]?.status).toBe('STORED');
    expect(await patient('VI-1')).toMatchObject({ rawPatientName: 'Hughes^Biscuit', petName: 'Biscuit', ownerFamilyName: 'Hughes', speciesDescription: 'K9', neutered: 'UNALTERED', sex: 'F' });
    // 'K9' is normalised for search while the description stays as sent.
    expect((await patient('VI-1')).searchText).toContain('canine');
  });

  it("follows the site's PatientName style (Pet^Owner)", async () => {
    await updateSite(server.deps.db, practice.id, practice.siteId, { patientNameStyle: 'PET_OWNER' }, actor);
    try {
      const file = makeDicom({ seed: 9200, patientId: 'VI-2', patientName: 'Mittens^Okafor', responsiblePerson: '', species: 'Cat' });
      expect(completed(await tusUpload(server.url, practice.gatewayAuth, file)).body.receipts[0]?.status).toBe('STORED');
      expect(await patient('VI-2')).toMatchObject({ petName: 'Mittens', ownerFamilyName: 'Okafor' });
    } finally {
      await updateSite(server.deps.db, practice.id, practice.siteId, { patientNameStyle: 'OWNER_PET' }, actor);
    }
  });

  it('lets a per-device setting (calling AE title) override the site', async () => {
    await setDeviceNameStyle(server.deps.db, practice.id, { callingAeTitle: 'DENTAL_XR', style: 'PET' }, actor);
    const file = makeDicom({ seed: 9300, patientId: 'VI-3', patientName: 'Pickles', responsiblePerson: '' });
    const res = completed(await tusUpload(server.url, practice.gatewayAuth, file, { metadata: { callingAeTitle: 'DENTAL_XR' } }));
    expect(res.body.receipts[0]?.status).toBe('STORED');
    expect(await patient('VI-3')).toMatchObject({ petName: 'Pickles', ownerName: null });
  });

  it('prefers Responsible Person for the owner and indexes breed registration, organisation and microchip', async () => {
    const file = makeDicom({
      seed: 9400,
      patientId: 'VI-4',
      patientName: 'Stable^Thunder',
      species: 'Equine',
      breed: 'Thoroughbred',
      breedRegistrations: [{ number: 'GB-TB-004711', registry: 'Weatherbys' }],
      responsiblePerson: 'Whitfield^Anne',
      responsiblePersonRole: 'OWNER',
      responsibleOrganization: 'Oakridge Stables',
      otherPatientIds: [{ id: '826098100012345', type: 'RFID' }],
    });
    expect(completed(await tusUpload(server.url, practice.gatewayAuth, file)).body.receipts[0]?.status).toBe('STORED');
    const p = await patient('VI-4');
    expect(p).toMatchObject({ ownerFamilyName: 'Whitfield', petName: 'Thunder', responsibleOrganization: 'Oakridge Stables', responsiblePersonRole: 'OWNER', microchip: '826098100012345', breedDescription: 'Thoroughbred' });
    expect(JSON.stringify(p.breedRegistration)).toContain('GB-TB-004711');
  });

  it('records who sent what from where in the audit trail, with the site of origin', async () => {
    const events = await server.deps.db.auditEvent.findMany({ where: { practiceId: practice.id, action: 'ingest.upload' } });
    expect(events.length).toBeGreaterThanOrEqual(4);
    const e = events[0]!;
    expect(e.actorType).toBe('GATEWAY');
    expect(e.actorId).toBe(practice.gatewayId);
    expect(e.details).toMatchObject({ stored: 1, siteId: practice.siteId });
    expect(e.sourceIp ?? '').toMatch(/127\.0\.0\.1|::1|^$/);
  });
});
