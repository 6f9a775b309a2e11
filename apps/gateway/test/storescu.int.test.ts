import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readDicomHeader, TransferSyntax } from '@vetpacs/dicom';
import { convertTransferSyntax, makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { part10Header } from '../src/spool/file-meta';
import { freePort } from '../../server/test/process';
import { cloudLookup, type GatewayProcess, sha256, spawnGateway, storescu, tempDir, useCloud, waitFor, writeGatewayConfig } from './harness';

/** Fixture per transfer syntax with the storescu flag that makes dcmtk propose it. */
const CASES: { name: string; ts: string; flag: string; eightBit?: boolean }[] = [
  { name: 'explicit LE', ts: TransferSyntax.ExplicitVRLittleEndian, flag: '-xe' },
  { name: 'implicit LE', ts: TransferSyntax.ImplicitVRLittleEndian, flag: '-xi' },
  { name: 'big endian', ts: TransferSyntax.ExplicitVRBigEndian, flag: '-xb' },
  { name: 'deflate', ts: TransferSyntax.DeflatedExplicitVRLittleEndian, flag: '-xd' },
  { name: 'JPEG baseline', ts: TransferSyntax.JPEGBaseline, flag: '-xy', eightBit: true },
  { name: 'JPEG lossless SV1', ts: TransferSyntax.JPEGLosslessSV1, flag: '-xs' },
  { name: 'JPEG-LS lossless', ts: TransferSyntax.JPEGLSLossless, flag: '-xt' },
  { name: 'RLE lossless', ts: TransferSyntax.RLELossless, flag: '-xr' },
];

/** Where the data set starts in a Part-10 file: after preamble, 'DICM' and the File Meta group. */
function datasetOffset(file: Buffer): number {
  return 144 + file.readUInt32LE(140);
}

describe('gateway: storescu → spool → tus → cloud', () => {
  const cloud = useCloud();
  let gw: GatewayProcess;
  let dir: string;
  // Oracle for "what storescu put on the wire": dcmtk's own SCP in bit-preserving mode (+B).
  let reference: ChildProcess;
  let referencePort: number;

  beforeAll(async () => {
    dir = await tempDir('gw-storescu-');
    await mkdir(path.join(dir, 'reference'));
    referencePort = await freePort();
    reference = spawn('storescp', ['-aet', 'VETPACS', '+B', '+xa', '-od', path.join(dir, 'reference'), '-fe', '.dcm', String(referencePort)], { stdio: 'ignore' });
    gw = await spawnGateway(await writeGatewayConfig(dir, cloud.url, cloud));
  });
  afterAll(async () => {
    reference?.kill();
    await gw?.stop();
  });

  it('C-ECHO answers success', async () => {
    const { execFile } = await import('node:child_process');
    const code = await new Promise<number>((resolve) => execFile('echoscu', ['-aet', 'XRAY1', '-aec', 'VETPACS', '127.0.0.1', String(gw.dimsePort)], (err) => resolve(err ? 1 : 0)));
    expect(code).toBe(0);
  });

  it('every instance, in every transfer syntax, arrives byte-identical and indexed', async () => {
    const expected = new Map<string, string>();
    for (const [i, c] of CASES.entries()) {
      const base = makeDicom({ seed: 4242, instanceNumber: i + 1, modality: 'CR', bitsAllocated: c.eightBit ? 8 : 16, rows: 128, columns: 96 });
      const file = c.ts === TransferSyntax.ExplicitVRLittleEndian ? base : convertTransferSyntax(base, c.ts);
      const p = path.join(dir, `f${i}.dcm`);
      await writeFile(p, file);
      const { sopInstanceUid: sop, sopClassUid } = readDicomHeader(file);
      const r = await storescu(gw.dimsePort, [p], [c.flag]);
      expect(r.output, `${c.name}: ${r.output}`).not.toMatch(/Store SCP Failed|Association Rejected|Refused/i);
      expect(r.code, r.output).toBe(0);
      await storescu(referencePort, [p], [c.flag]);
      const sent = await waitFor(() => readFile(path.join(dir, 'reference', `CR.${sop}.dcm`)), 10_000);
      // What the cloud must hold: our File Meta + exactly the data set bytes storescu sent.
      expected.set(sop, sha256(Buffer.concat([part10Header({ sopClassUid, sopInstanceUid: sop, transferSyntaxUid: c.ts, sourceAeTitle: 'XRAY1' }), sent.subarray(datasetOffset(sent))])));
    }
    await waitFor(async () => {
      const s = await gw.status();
      return s.queue.verified === CASES.length;
    });
    expect((await gw.status()).studies).toEqual({ complete: 1, incomplete: 0 });
    const cloudShas = await cloudLookup(cloud, [...expected.keys()]);
    for (const [sop, sha] of expected) expect(cloudShas.get(sop), sop).toBe(sha);
    const indexed = await cloud.db.instance.findMany({ where: { practiceId: cloud.practice.id, sopInstanceUid: { in: [...expected.keys()] } }, select: { sopInstanceUid: true, sha256: true, transferSyntaxUid: true } });
    expect(indexed).toHaveLength(CASES.length);
    for (const row of indexed) expect(row.sha256).toBe(expected.get(row.sopInstanceUid));
    expect(new Set(indexed.map((r) => r.transferSyntaxUid))).toEqual(new Set(CASES.map((c) => c.ts)));
  });

  it('reports the last C-STORE per calling AE and heartbeats it to the cloud', async () => {
    const s = await gw.status();
    expect(s.lastCStoreByAe.find((a) => a.callingAe === 'XRAY1')?.stores).toBeGreaterThanOrEqual(CASES.length);
    const list = await waitFor(async () => {
      const res = await fetch(`${cloud.url}/api/gateways`, { headers: { authorization: cloud.practice.bearer } });
      const body = (await res.json()) as { gateways: { id: string; silent: boolean; modalities: { callingAeTitle: string }[]; queue: { verified?: number } | null }[] };
      const g = body.gateways.find((x) => x.id === cloud.practice.gatewayId);
      return g && (g.queue?.verified ?? 0) >= CASES.length ? g : undefined;
    });
    expect(list.silent).toBe(false);
    expect(list.modalities.map((m) => m.callingAeTitle)).toContain('XRAY1');
  });

  it('a repeated C-STORE of the same instance is not queued twice', async () => {
    const p = path.join(dir, 'f0.dcm');
    const before = (await gw.status()).queue;
    const r = await storescu(gw.dimsePort, [p], ['-xe']);
    expect(r.code).toBe(0);
    const after = (await gw.status()).queue;
    expect(after.verified + after.queued + after.uploading).toBe(before.verified + before.queued + before.uploading);
  });
});
