/**
 * Gateway benchmark (a report, never a test). Measures, for one workload:
 *   ceiling  raw HTTP upload of the same bytes (8 MiB bodies, same parallelism) to a discard server
 *   upload   gateway → cloud: the workload is imported into the queue while the gateway is stopped,
 *            then the time from "gateway started" to "all verified" (tus, bundles, receipts)
 *   cstore   storescu → gateway, one association, fsync per instance, uploads disabled
 * With --netns the gateway runs inside the network namespace made by bench/netns.sh (veth +
 * tc netem) and the cloud listens on the host end of the veth. With --cut the gateway is killed -9
 * half-way and restarted; bytes on the wire are compared with an uncut run.
 *
 *   node --import tsx apps/gateway/bench/gateway-bench.ts --workload ct|dx [--netns vpgw] [--cut]
 * Prints one JSON line.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createDb, createGateway, createPractice, createSite } from '@vetpacs/db';
import { migrate } from '@vetpacs/db/migrate';
import { createDatabaseIfMissing, dropDatabase, withDatabase } from '@vetpacs/devservices';
import { startDelayProxy } from './delay-proxy';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../../..');
const { values: args } = parseArgs({
  options: {
    workload: { type: 'string', default: 'ct' },
    data: { type: 'string', default: '/tmp/benchdata' },
    limit: { type: 'string' },
    netns: { type: 'string' },
    /** power: kill -9 the gateway half-way and restart it; link: drop every connection for 3 s. */
    cut: { type: 'string' },
    'delay-ms': { type: 'string', default: '20' },
    phases: { type: 'string', default: 'ceiling,upload,cstore' },
  },
});
const phases = new Set(args.phases!.split(','));
const hostAddr = '127.0.0.1';
const linkAddr = args.netns ? '10.203.0.1' : '127.0.0.1';
const nsAddr = args.netns ? '10.203.0.2' : '127.0.0.1';
const inNs = (cmd: string[]) => (args.netns ? ['ip', 'netns', 'exec', args.netns, ...cmd] : cmd);

async function files(): Promise<string[]> {
  const dir = path.join(args.data!, args.workload!);
  const all = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.dcm')).sort().map((f) => path.join(dir, f));
  return all.slice(0, Number(args.limit ?? (args.workload === 'dx' ? 10 : 300)));
}

async function waitUntil<T>(fn: () => Promise<T | undefined>, ms = 1_800_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user + system) used so far by a process. */
async function cpuSeconds(pid: number | undefined): Promise<number> {
  if (!pid) return 0;
  const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** In netns mode every connection to the cloud crosses the veth (tbf rate) and the delay line. */
async function linkTo(port: number) {
  if (!args.netns) return { port, bytesUp: () => 0, cut: (_ms: number) => {}, close: async () => {} };
  return startDelayProxy({ host: linkAddr, port: 0 }, { host: hostAddr, port }, Number(args['delay-ms']));
}

/** Raw HTTP ceiling: POST the same bytes (8 MiB bodies, 2 in parallel) to a server that discards them. */
async function ceiling(list: string[], total: number): Promise<number> {
  const server = spawn(process.execPath, ['-e', `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('ok'))}).listen(0,'${hostAddr}',function(){console.log(this.address().port)})`]);
  const link = await linkTo(Number((await new Promise<string>((r) => server.stdout.once('data', (d) => r(String(d))))).trim()));
  const port = link.port;
  const client = `
    const http=require('http'),fs=require('fs');const files=${JSON.stringify(list)};const agent=new http.Agent({keepAlive:true});
    const chunks=[];for(const f of files){const n=fs.statSync(f).size;for(let o=0;o<n;o+=8388608)chunks.push([f,o,Math.min(n,o+8388608)]);}
    const t0=Date.now();let i=0;const next=()=>{const c=chunks[i++];if(!c)return Promise.resolve();return new Promise((res,rej)=>{
      const req=http.request({host:'${linkAddr}',port:${port},method:'POST',agent,headers:{'content-length':c[2]-c[1]}},(r)=>{r.resume();r.on('end',res)});req.on('error',rej);
      fs.createReadStream(c[0],{start:c[1],end:c[2]-1}).pipe(req);}).then(next);};
    Promise.all([next(),next()]).then(()=>{console.log(Date.now()-t0);process.exit(0)});`;
  const { stdout } = await run(inNs([process.execPath, '-e', client])[0]!, inNs([process.execPath, '-e', client]).slice(1), { maxBuffer: 1 << 20 });
  server.kill();
  await link.close();
  return total / (Number(stdout.trim()) / 1000);
}

async function startCloud() {
  const admin = process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `vetpacs_gwbench_${Date.now().toString(36)}`;
  await createDatabaseIfMissing(admin, dbName);
  const databaseUrl = withDatabase(admin, dbName);
  await migrate(databaseUrl);
  const work = await mkdtemp(path.join(tmpdir(), 'gwbench-cloud-'));
  await mkdir(path.join(work, 'objects'));
  const port = 18000 + Math.floor(Math.random() * 1000);
  const env = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: databaseUrl, QUEUE_PREFIX: dbName, UPLOAD_STAGING_DIR: path.join(work, 'staging'), HOST: hostAddr, PORT: String(port),
    LOG_LEVEL: 'warn', NODE_ENV: 'production', STORAGE_BACKEND: 'fs', STORAGE_FS_ROOT: path.join(work, 'objects'),
  };
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/server/src/main.ts')], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitUntil(async () => ((await fetch(`http://${hostAddr}:${port}/readyz`)).ok ? true : undefined), 60_000);
  const db = createDb(databaseUrl, { maxConnections: 1 });
  const actor = { type: 'SYSTEM' as const, id: 'bench' };
  const practice = await createPractice(db, { name: 'Bench', slug: `b${Date.now().toString(36)}` }, actor);
  const site = await createSite(db, practice.id, { name: 'Main', code: 'MAIN' }, actor);
  const gw = await createGateway(db, practice.id, { siteId: site.id, name: 'bench' }, actor);
  await db.close();
  const link = await linkTo(port);
  return {
    url: `http://${linkAddr}:${link.port}`, link, keyId: gw.keyId, secret: gw.secret, pid: proc.pid,
    async stop() {
      await link.close();
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      await rm(work, { recursive: true, force: true });
      await dropDatabase(admin, dbName).catch(() => {});
    },
  };
}

function spawnGateway(config: string): Promise<{ proc: ChildProcess; statusPort: number; dimsePort: number; startedAt: number }> {
  const cmd = inNs([process.execPath, '--import', 'tsx', path.join(root, 'apps/gateway/src/main.ts'), 'start', '--config', config]);
  const proc = spawn(cmd[0]!, cmd.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  return waitUntil(async () => {
    const line = out.split('\n').find((l) => l.includes('"gateway started"'));
    if (!line) return undefined;
    const j = JSON.parse(line) as { dimsePort: number; statusPort: number; time: number };
    return { proc, statusPort: j.statusPort, dimsePort: j.dimsePort, startedAt: j.time };
  }, 60_000);
}

async function status(port: number) {
  return (await (await fetch(`http://${nsAddr}:${port}/status.json`)).json()) as { queue: { verified: number; pendingInstances: number } };
}

const log = (m: string) => process.stderr.write(`[${new Date().toISOString()}] ${m}\n`);
const list = await files();
const total = (await Promise.all(list.map((f) => stat(f)))).reduce((s, x) => s + x.size, 0);
const result: Record<string, unknown> = { workload: args.workload, instances: list.length, bytes: total, link: args.netns ? '20 Mbit/s tbf + 2×20 ms delay line' : 'loopback', cut: args.cut };

log(`${list.length} files, ${total} bytes`);
if (phases.has('ceiling')) result.ceilingMBps = +(((await ceiling(list, total)) / 1e6).toFixed(1));

log(`ceiling done ${JSON.stringify(result)}`);
const cloud = await startCloud();
log('cloud up');
try {
  if (phases.has('upload')) {
    const dir = await mkdtemp(path.join(tmpdir(), 'gwbench-gw-'));
    const config = path.join(dir, 'gateway.json');
    await writeFile(config, JSON.stringify({
      dataDir: path.join(dir, 'data'), logLevel: 'info',
      cloud: { url: cloud.url, keyId: cloud.keyId, secret: cloud.secret, allowHttp: true },
      dimse: { host: nsAddr, port: 0 }, status: { host: nsAddr, port: 0 },
      storage: { budgetBytes: '20GB', minFreeBytes: '1GB' }, retention: { cacheBytes: '10GB' }, heartbeat: { intervalMs: 60_000 },
    }));
    // Queue exactly `list` (hard links: no copy) with the gateway's own import command.
    const input = path.join(dir, 'input');
    await mkdir(input);
    await Promise.all(list.map((f, i) => link(f, path.join(input, `${String(i).padStart(5, '0')}.dcm`))));
    await run(process.execPath, ['--import', 'tsx', path.join(root, 'apps/gateway/src/main.ts'), 'import', input, '--config', config], { cwd: root, maxBuffer: 1 << 24 });
    log('imported');
    const up0 = cloud.link.bytesUp();
    let gw = await spawnGateway(config);
    const t0 = gw.startedAt;
    const cloudCpu0 = await cpuSeconds(cloud.pid);
    if (args.cut) {
      await waitUntil(async () => ((await status(gw.statusPort)).queue.verified >= list.length / 2 ? true : undefined));
      if (args.cut === 'link') cloud.link.cut(3_000);
      else {
        gw.proc.kill('SIGKILL');
        await new Promise((r) => gw.proc.once('exit', r));
        gw = await spawnGateway(config);
      }
    }
    await waitUntil(async () => ((await status(gw.statusPort)).queue.verified === list.length ? true : undefined));
    const seconds = (Date.now() - t0) / 1000;
    // Gateway child of `ip netns exec` in netns mode: its CPU is read from the node process itself.
    result.cloudCpuSeconds = +((await cpuSeconds(cloud.pid)) - cloudCpu0).toFixed(1);
    result.gatewayCpuSeconds = args.netns ? undefined : +(await cpuSeconds(gw.proc.pid)).toFixed(1);
    result.uploadSeconds = +seconds.toFixed(2);
    result.uploadMBps = +(total / seconds / 1e6).toFixed(2);
    if (args.netns) {
      // TCP payload the gateway sent: the files plus HTTP/tus headers, bundle framing, and anything re-sent.
      const wire = cloud.link.bytesUp() - up0;
      result.wireBytes = wire;
      result.wireOverheadPct = +(((wire - total) / total) * 100).toFixed(2);
      result.linkUtilisationPct = +(((wire * 8) / seconds / 20e6) * 100).toFixed(1);
      result.goodputUtilisationPct = +(((total * 8) / seconds / 20e6) * 100).toFixed(1);
    }
    gw.proc.kill('SIGTERM');
    await new Promise((r) => gw.proc.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
  log(`upload done ${JSON.stringify(result)}`);
  if (phases.has('cstore')) {
    const dir = await mkdtemp(path.join(tmpdir(), 'gwbench-cs-'));
    const config = path.join(dir, 'gateway.json');
    // Cloud unreachable: only the SCP path (stream to spool, fsync, rename, dir fsync, SQLite commit) is timed.
    await writeFile(config, JSON.stringify({
      dataDir: path.join(dir, 'data'), logLevel: 'info', cloud: { url: 'http://127.0.0.1:9', keyId: 'k', secret: 's' },
      dimse: { host: nsAddr, port: 0 }, status: { host: nsAddr, port: 0 }, storage: { budgetBytes: '20GB', minFreeBytes: '1GB' }, retention: { cacheBytes: '10GB' },
    }));
    const gw = await spawnGateway(config);
    const t0 = process.hrtime.bigint();
    await run('storescu', ['-aet', 'BENCH', '-aec', 'VETPACS', '-xe', nsAddr, String(gw.dimsePort), ...list], { maxBuffer: 1 << 24 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    result.cstoreMsPerInstance = +(ms / list.length).toFixed(2);
    result.cstoreMBps = +(total / (ms / 1000) / 1e6).toFixed(1);
    gw.proc.kill('SIGTERM');
    await new Promise((r) => gw.proc.once('exit', r));
    // Reference: dcmtk's own storescp (no fsync) on the same files.
    const ref = path.join(dir, 'ref');
    await mkdir(ref);
    const scp = spawn('storescp', ['-aet', 'VETPACS', '+xa', '-od', ref, '11998']);
    await new Promise((r) => setTimeout(r, 500));
    const t1 = process.hrtime.bigint();
    await run('storescu', ['-aet', 'BENCH', '-aec', 'VETPACS', '-xe', '127.0.0.1', '11998', ...list], { maxBuffer: 1 << 24 });
    result.storescpMsPerInstance = +(Number(process.hrtime.bigint() - t1) / 1e6 / list.length).toFixed(2);
    scp.kill();
    await rm(dir, { recursive: true, force: true });
  }
} finally {
  await cloud.stop();
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
