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

  close(): void {
    this.agent.destroy();
  }
}
