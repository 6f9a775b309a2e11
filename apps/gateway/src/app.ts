import type { Server } from 'node:http';
import path from 'node:path';
import dimse from 'dcmjs-dimse';
import pino, { type Logger } from 'pino';
import pkg from '../package.json' with { type: 'json' };
import type { GatewayConfig } from './config';
import { CommitmentService } from './dimse/commitment';
import { DicomListener } from './dimse/listener';
import { createScpClass } from './dimse/scp';
import { Heartbeat } from './heartbeat';
import { DropFolder } from './importer';
import { openQueueDb } from './queue/db';
import { QueueRepo } from './queue/repo';
import { Retention } from './retention';
import { Spool } from './spool/spool';
import { healthProblem, startStatusServer } from './status/http';
import { buildSnapshot } from './status/snapshot';
import { CloudClient } from './upload/cloud';
import { Throttle } from './upload/throttle';
import { Uploader } from './upload/uploader';

export const GATEWAY_VERSION: string = pkg.version;

/** A running gateway: `stop` shuts it down in reverse order. */
export interface Gateway {
  stop(): Promise<void>;
}

/**
 * Builds and starts the gateway from its config. Order matters: the queue is recovered and the
 * spool cleaned before the listener accepts a single association, and on stop the listener closes
 * first (no new work), then the uploader drains its in-flight requests, then the database closes.
 */
export async function startGateway(config: GatewayConfig, log: Logger = pino({ level: config.logLevel })): Promise<Gateway> {
  // dcmjs-dimse logs every PDU at INFO on its own logger; ours reports what matters.
  dimse.log.setLevel(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'info' : 'error');
  const db = openQueueDb(config.dataDir);
  const repo = new QueueRepo(db);
  const spool = new Spool(path.join(config.dataDir, 'spool'), config.storage, () => repo.pendingBytes());
  await spool.init();

  const recovered = repo.recover();
  const orphans = await spool.removeOrphans(repo.referencedPaths());
  log.info({ ...recovered, bundlesDiscarded: recovered.bundlesDiscarded.length, orphansRemoved: orphans }, 'queue recovered');

  const cloud = new CloudClient(config.cloud);
  const throttle = new Throttle(config.upload.bandwidth);
  const backoff = { baseMs: config.upload.backoffBaseMs, maxMs: config.upload.backoffMaxMs };
  const commitments = new CommitmentService({ db, log, aeTitle: config.dimse.aeTitle, peers: config.commitment.peers, intervalMs: config.commitment.intervalMs, backoff });
  const retention = new Retention({
    repo, cloud, log, intervalMs: config.retention.intervalMs,
    policy: { keepDays: config.retention.keepDays, cacheBytes: config.retention.cacheBytes, budgetBytes: config.storage.budgetBytes },
    onRequeued: () => uploader.kick(),
  });
  const uploader: Uploader = new Uploader({
    repo, cloud, throttle, log, bundlesDir: spool.bundlesDir, options: config.upload,
    onVerified: () => {
      commitments.kick();
      retention.kick();
    },
  });

  const scpClass = createScpClass({
    options: { ...config.dimse, urgentCallingAeTitles: config.upload.urgentCallingAeTitles },
    spool, repo, commitments, log,
    onQueued: () => uploader.kick(),
  });
  const listener = new DicomListener(scpClass, config.dimse, log);
  const drop = config.importer.dropDir ? new DropFolder(config.importer.dropDir, { spool, repo, log, onQueued: () => uploader.kick() }, config.importer.scanIntervalMs) : undefined;

  let dimsePort = 0;
  const snapshot = async () =>
    buildSnapshot(db, {
      version: GATEWAY_VERSION,
      aeTitle: config.dimse.aeTitle,
      dimsePort,
      rate: uploader.stats.rate(),
      uploads: uploader.progress(),
      diskFreeBytes: await spool.diskFree().catch(() => undefined),
      importer: drop?.progress,
    });
  const heartbeat = new Heartbeat({ cloud, snapshot, log, intervalMs: config.heartbeat.intervalMs });

  uploader.start();
  commitments.start();
  retention.start();
  dimsePort = await listener.start();
  const { server: statusServer, port: statusPort }: { server: Server; port: number } = await startStatusServer(
    snapshot,
    () => healthProblem(db, () => listener.listening),
    config.status.host,
    config.status.port,
  );
  await drop?.start();
  heartbeat.start();
  log.info({ aeTitle: config.dimse.aeTitle, dimsePort, statusPort, cloud: config.cloud.url, version: GATEWAY_VERSION }, 'gateway started');

  return {
    async stop() {
      heartbeat.stop();
      drop?.stop();
      await listener.stop();
      await new Promise<void>((resolve) => statusServer.close(() => resolve()));
      retention.stop();
      commitments.stop();
      await uploader.stop();
      cloud.close();
      db.close();
      log.info('gateway stopped');
    },
  };
}
