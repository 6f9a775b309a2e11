import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface CloudOptions {
  url: string;
  keyId: string;
  secret: string;
  caFile?: string;
  requestTimeoutMs: number;
}

/** An HTTP error answer from the cloud (status + body text). */
export class CloudHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`cloud answered ${status}: ${body.slice(0, 200)}`);
    this.name = 'CloudHttpError';
  }
}

/** What the cloud holds of one SOP Instance: its current bytes and every stored version. */
export interface CloudInstance {
  sopInstanceUid: string;
  sha256: string;
  versions: { version: number; sha256: string }[];
}

/**
 * Whether the cloud holds our exact bytes (SHA-256) of an instance: the matching version, or
 * undefined when it does not (`held` absent: the cloud does not know the instance at all).
 */
export function heldVersion(held: CloudInstance | undefined, sha256: string): number | undefined {
  if (!held) return undefined;
  return held.versions.find((v) => v.sha256 === sha256)?.version ?? (held.sha256 === sha256 ? 1 : undefined);
}

/**
 * The cloud's public HTTP API as the gateway sees it: Basic auth with the gateway's credentials,
 * keep-alive, and an extra CA for a cloud behind a private certificate authority.
 */
export class CloudClient {
  readonly agent: http.Agent;
  readonly authorization: string;

  constructor(readonly opts: CloudOptions) {
    const https_ = opts.url.startsWith('https:');
    this.agent = https_
      ? // An explicit `ca` replaces Node's bundled roots: keep them and add the practice's CA.
        new https.Agent({ keepAlive: true, ca: opts.caFile ? [...rootCertificates, readFileSync(opts.caFile, 'utf8')] : undefined })
      : new http.Agent({ keepAlive: true });
    this.authorization = `Basic ${Buffer.from(`${opts.keyId}:${opts.secret}`).toString('base64')}`;
  }

  get uploadEndpoint(): string {
    return `${this.opts.url}/api/uploads`;
  }

  /** JSON request; resolves with the parsed body, throws {@link CloudHttpError} on non-2xx. */
  requestJson<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = new URL(this.opts.url + path);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: this.agent,
          timeout: this.opts.requestTimeoutMs,
          headers: {
            authorization: this.authorization,
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 0) >= 300) return reject(new CloudHttpError(res.statusCode ?? 0, text));
            try {
              resolve((text ? JSON.parse(text) : undefined) as T);
            } catch (err) {
              reject(err);
            }
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** What the cloud holds of these SOP Instances, by SOP Instance UID (unknown ones are absent). */
  async lookup(sopInstanceUids: Iterable<string>): Promise<Map<string, CloudInstance>> {
    const found = await this.requestJson<{ instances: CloudInstance[] }>('POST', '/api/receipts/lookup', { sopInstanceUids: [...new Set(sopInstanceUids)] });
    return new Map(found.instances.map((i) => [i.sopInstanceUid, i]));
  }

  close(): void {
    this.agent.destroy();
  }
}
