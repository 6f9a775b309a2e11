import { readFileSync } from 'node:fs';
import { BlockList, createServer as createNetServer, isIPv4, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type dimse from 'dcmjs-dimse';
import type { Logger } from 'pino';

export interface ListenerOptions {
  host: string;
  port: number;
  allowedAddresses: readonly string[];
  tls?: { certFile: string; keyFile: string; caFile?: string; requireClientCert: boolean };
  timeouts: { connectMs: number; associationMs: number; pduMs: number };
}

/** A BlockList of the allowed peers (IPs or IPv4 CIDR blocks); null = everyone. */
export function allowList(entries: readonly string[]): BlockList | null {
  if (!entries.length) return null;
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const type = isIPv4(addr!) ? 'ipv4' : 'ipv6';
    if (bits) list.addSubnet(addr!, Number(bits), type);
    else list.addAddress(addr!, type);
  }
  return list;
}

function normalise(address: string | undefined): { addr: string; type: 'ipv4' | 'ipv6' } {
  const a = (address ?? '').replace(/^::ffff:/, '');
  return { addr: a, type: isIPv4(a) ? 'ipv4' : 'ipv6' };
}

/**
 * The DICOM listener: a TCP (or TLS, PS3.15 Annex B) server that hands each allowed connection to
 * a new SCP instance. Our own server (rather than the library's) binds a chosen interface, reports
 * the bound port, filters peers by address and closes live connections on stop.
 */
export class DicomListener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly scpClass: typeof dimse.Scp,
    private readonly opts: ListenerOptions,
    private readonly log: Logger,
  ) {}

  /** True while the server is bound and accepting connections. */
  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  start(): Promise<number> {
    const allowed = allowList(this.opts.allowedAddresses);
    const onSocket = (socket: Socket) => {
      const { addr, type } = normalise(socket.remoteAddress);
      if (allowed && !allowed.check(addr, type)) {
        this.log.warn({ remote: addr }, 'DICOM connection refused: address not allowed');
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {});
      const scp = new this.scpClass(socket, {
        connectTimeout: this.opts.timeouts.connectMs,
        associationTimeout: this.opts.timeouts.associationMs,
        pduTimeout: this.opts.timeouts.pduMs,
      });
      scp.on('networkError', (e: Error) => {
        this.log.warn({ remote: addr, err: e.message }, 'DICOM network error');
        socket.destroy();
      });
    };
    const tls = this.opts.tls;
    this.server = tls
      ? createTlsServer(
          { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ca: tls.caFile ? readFileSync(tls.caFile) : undefined, requestCert: tls.requireClientCert, rejectUnauthorized: tls.requireClientCert },
          onSocket,
        )
      : createNetServer(onSocket);
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => {
        const a = this.server!.address();
        resolve(typeof a === 'object' && a ? a.port : this.opts.port);
      });
    });
  }

  /** Stops accepting and closes open associations (senders retry what was not acknowledged). */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
