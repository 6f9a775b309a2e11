import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import { makeDicom } from '@vetpacs/dicom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/test/process';
import { openQueueDb } from '../src/queue/db';
import { cloudLookup, type GatewayProcess, spawnGateway, storescu, tempDir, useCloud, waitFor, writeGatewayConfig } from './harness';

const { Client, Dataset, Scp, Server } = dimse;
const { NActionRequest } = dimse.requests;
const { NEventReportResponse } = dimse.responses;
const { PresentationContextResult, Status } = dimse.constants;
const SC_CLASS = '1.2.840.10008.1.20.1';
const SC_INSTANCE = '1.2.840.10008.1.20.1.1';

interface Report {
  eventTypeId: number;
  dataset: { TransactionUID: string; ReferencedSOPSequence?: { ReferencedSOPInstanceUID: string }[]; FailedSOPSequence?: { ReferencedSOPInstanceUID: string; FailureReason: number }[] };
  at: number;
}

/** The modality's side of Storage Commitment: an SCP that receives the gateway's N-EVENT-REPORT. */
function startModality(port: number, reports: Report[]) {
  class ModalityScp extends Scp {
    override associationRequested(association: InstanceType<typeof dimse.association.Association>) {
      (this as unknown as { association: unknown }).association = association;
      for (const c of association.getPresentationContexts()) {
        const ctx = association.getPresentationContext(c.id);
        ctx.setResult(PresentationContextResult.Accept, ctx.getTransferSyntaxUids()[0]);
      }
      this.sendAssociationAccept();
    }
    override associationReleaseRequested() {
      this.sendAssociationReleaseResponse();
    }
    override nEventReportRequest(request: InstanceType<typeof dimse.requests.NEventReportRequest>, callback: (r: InstanceType<typeof NEventReportResponse>) => void) {
      reports.push({ eventTypeId: request.getEventTypeId(), dataset: request.getDataset()!.getElements() as Report['dataset'], at: Date.now() });
      const response = NEventReportResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }
  }
  const server = new Server(ModalityScp as never);
  server.listen(port);
  return server;
}

/** Sends the Storage Commitment N-ACTION (PS3.4 J.3.2) like a modality; resolves with the status. */
function requestCommitment(port: number, transactionUid: string, sops: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    const request = new NActionRequest(SC_CLASS, SC_INSTANCE, 1);
    request.setDataset(
      new Dataset({ TransactionUID: transactionUid, ReferencedSOPSequence: sops.map((s) => ({ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1', ReferencedSOPInstanceUID: s })) }),
    );
    let status: number | undefined;
    request.on('response', (r: InstanceType<typeof dimse.responses.NActionResponse>) => {
      status = r.getStatus();
    });
    client.addRequest(request);
    client.on('networkError', reject);
    client.on('closed', () => (status === undefined ? reject(new Error('no N-ACTION response')) : resolve(status)));
    client.send('127.0.0.1', port, 'MODALITY', 'VETPACS');
  });
}

describe('gateway: Storage Commitment SCP', () => {
  const cloud = useCloud();
  let gw: GatewayProcess;
  let modality: InstanceType<typeof Server>;
  const reports: Report[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = await tempDir('gw-commit-');
    const modalityPort = await freePort();
    modality = startModality(modalityPort, reports);
    gw = await spawnGateway(
      await writeGatewayConfig(dir, cloud.url, cloud, { commitment: { peers: [{ aeTitle: 'MODALITY', host: '127.0.0.1', port: modalityPort }], intervalMs: 300 } }),
    );
  });
  afterAll(async () => {
    await gw?.stop();
    modality?.close();
  });

  it('answers "committed" only after the cloud verified every instance by hash', async () => {
    await cloud.stop();
    const files: string[] = [];
    for (let i = 1; i <= 2; i++) {
      files.push(path.join(dir, `c${i}.dcm`));
      await writeFile(files.at(-1)!, makeDicom({ seed: 7500, instanceNumber: i }));
    }
    expect((await storescu(gw.dimsePort, files, ['-xe'], 'MODALITY')).code).toBe(0);
    const sops = [1, 2].map((i) => `1.2.826.0.1.3680043.10.1000.7500.1.1.${i}`);
    const neverSent = '1.2.826.0.1.3680043.10.1000.7500.1.1.99';
    expect(await requestCommitment(gw.dimsePort, '1.2.826.0.1.3680043.10.1000.7500.9', [...sops, neverSent])).toBe(Status.Success);

    // The cloud is down: the request is recorded and waits; no report can have been sent.
    const pending = await gw.status();
    expect(pending.commitments.pending).toBe(1);
    expect(pending.queue.verified).toBe(0);
    expect(reports).toHaveLength(0);

    await cloud.start();
    const report = await waitFor(async () => reports[0]);
    expect(report.eventTypeId).toBe(2); // some failed: the instance that was never sent
    expect(report.dataset.TransactionUID).toBe('1.2.826.0.1.3680043.10.1000.7500.9');
    expect(report.dataset.ReferencedSOPSequence?.map((r) => r.ReferencedSOPInstanceUID).sort()).toEqual(sops);
    expect(report.dataset.FailedSOPSequence).toEqual([expect.objectContaining({ ReferencedSOPInstanceUID: neverSent, FailureReason: 0x0112 })]);

    // Every committed instance was verified before the report left, and the cloud holds its bytes.
    const db = openQueueDb(gw.dataDir, { readOnly: true });
    const rows = db.prepare('select sop_instance_uid, sha256, verified_at from instance').all() as { sop_instance_uid: string; sha256: string; verified_at: number }[];
    db.close();
    for (const r of rows) expect(r.verified_at).toBeLessThanOrEqual(report.at);
    const inCloud = await cloudLookup(cloud, sops);
    for (const r of rows) expect(inCloud.get(r.sop_instance_uid)).toBe(r.sha256);
    expect((await gw.status()).commitments.delivered).toBe(1);
  });
});
