import path from 'node:path';
import { exitOnConfigError } from '@vetpacs/config';
import { Command } from 'commander';
import pino from 'pino';
import { GATEWAY_VERSION, startGateway } from './app';
import { type GatewayConfig, parseGatewayConfig } from './config';
import { importFolder } from './importer';
import { openQueueDb } from './queue/db';
import { QueueRepo } from './queue/repo';
import { bar, renderStatus } from './status/render';
import { buildSnapshot } from './status/snapshot';
import { Spool } from './spool/spool';

function loadConfig(file: string | undefined): GatewayConfig {
  return exitOnConfigError('vetpacs-gateway', () => parseGatewayConfig(file, process.env));
}

const program = new Command('vetpacs-gateway')
  .description('VetPACS edge gateway: DICOM C-STORE SCP, durable spool, resumable upload to the cloud')
  .version(GATEWAY_VERSION);

// `start` is the default command, so `pnpm --filter @vetpacs/gateway start -- --config <file>` works.
program
  .command('start', { isDefault: true })
  .description('run the gateway (DICOM listener, uploader, status page, heartbeat)')
  .option('-c, --config <file>', 'JSON config file (GATEWAY_* environment variables override it)')
  .action(async (opts: { config?: string }) => {
    const config = loadConfig(opts.config);
    const log = pino({ level: config.logLevel });
    const gw = await startGateway(config, log);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      await gw.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('status')
  .description('queue by state with progress bars, throughput, ETA and the last error')
  .option('-c, --config <file>', 'JSON config file')
  .option('--json', 'print the status as JSON')
  .action((opts: { config?: string; json?: boolean }) => {
    const config = loadConfig(opts.config);
    const db = openQueueDb(config.dataDir, { readOnly: true });
    const s = buildSnapshot(db, { version: GATEWAY_VERSION, aeTitle: config.dimse.aeTitle, dimsePort: config.dimse.port });
    db.close();
    process.stdout.write(`${opts.json ? JSON.stringify(s, null, 2) : renderStatus(s)}\n`);
  });

program
  .command('import <folder>')
  .description('import a CD/USB/folder (DICOMDIR or plain files) into the queue; the source is not modified')
  .option('-c, --config <file>', 'JSON config file')
  .action(async (folder: string, opts: { config?: string }) => {
    const config = loadConfig(opts.config);
    const db = openQueueDb(config.dataDir);
    const repo = new QueueRepo(db);
    const spool = new Spool(path.join(config.dataDir, 'spool'), config.storage, () => repo.pendingBytes());
    await spool.init();
    const tty = process.stdout.isTTY;
    const r = await importFolder(path.resolve(folder), { spool, repo }, {
      deleteSource: false,
      onProgress: (p) => {
        const line = `${bar(p.done / Math.max(1, p.found))} ${p.done}/${p.found}  imported ${p.imported}, already queued ${p.duplicates}, not DICOM ${p.skipped}, failed ${p.failed}`;
        if (tty) process.stdout.write(`\r${line}`);
      },
    });
    db.close();
    process.stdout.write(`${tty ? '\n' : ''}${JSON.stringify(r)}\n`);
    if (r.refused) {
      process.stderr.write('stopped: the spool is full (disk budget); import the rest later\n');
      process.exit(2);
    }
  });

program
  .command('urgent <studyInstanceUid>')
  .description('upload this study before everything else')
  .option('-c, --config <file>', 'JSON config file')
  .action((study: string, opts: { config?: string }) => {
    const db = openQueueDb(loadConfig(opts.config).dataDir);
    process.stdout.write(`${new QueueRepo(db).markStudyUrgent(study)} instances marked urgent\n`);
    db.close();
  });

program
  .command('retry')
  .description('re-queue instances the cloud rejected (after the cause was fixed)')
  .option('-c, --config <file>', 'JSON config file')
  .action((opts: { config?: string }) => {
    const db = openQueueDb(loadConfig(opts.config).dataDir);
    process.stdout.write(`${new QueueRepo(db).retryFailed()} instances re-queued\n`);
    db.close();
  });

// pnpm passes a literal "--" through to the script: drop it.
const argv = process.argv.filter((a, i) => !(a === '--' && i >= 2));
program.parseAsync(argv).catch((err) => {
  process.stderr.write(`vetpacs-gateway: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
