import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');

/** A free loopback TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  /** SIGKILL: the "power cut" case. */
  kill(): Promise<void>;
  /** SIGTERM and wait: graceful shutdown. */
  stop(): Promise<void>;
}

/** Starts `apps/server/src/main.ts` as a real separate process and waits for /readyz. */
export async function spawnServer(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const p = port ?? (await freePort());
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/server/src/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(p) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => {
    stderr += d;
  });
  const url = `http://127.0.0.1:${p}`;
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  for (let i = 0; i < 600; i++) {
    if (exited()) throw new Error(`server process exited early: ${stderr.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const waitExit = () => new Promise<void>((resolve) => (exited() ? resolve() : proc.once('exit', () => resolve())));
  return {
    url,
    port: p,
    proc,
    async kill() {
      proc.kill('SIGKILL');
      await waitExit();
    },
    async stop() {
      proc.kill('SIGTERM');
      await waitExit();
    },
  };
}
