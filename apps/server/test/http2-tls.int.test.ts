import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type ClientHttp2Session, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync } from 'node:zlib';
import { ConfigError } from '@vetpacs/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { practiceAFixtures, sha } from './dicomweb-fixtures';
import { parseServerConfig } from '../src/config';
import { splitMultipart } from './multipart';
import { createTestPractice, multipartBody, startTestServer, type TestPractice, type TestServer, testEnv } from './harness';

interface H2Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request on an HTTP/2 session (loopback, self-signed certificate). */
function h2(session: ClientHttp2Session, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':method': body ? 'POST' : 'GET', ...headers });
    const chunks: Buffer[] = [];
    let head: Record<string, string | string[] | undefined> = {};
    req.on('response', (h) => {
      head = h as typeof head;
    });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(chunks) }));
    req.on('error', reject);
    req.end(body);
  });
}

describe('TLS with HTTP/2 (TLS_CERT_FILE / TLS_KEY_FILE)', () => {
  let dir: string;
  let server: TestServer;
  let practice: TestPractice;
  let origin: string;
  let session: ClientHttp2Session;
  const fixtures = practiceAFixtures();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vetpacs-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    server = await startTestServer({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    practice = await createTestPractice(server.deps.db, 'TLS Vets');
    origin = server.url.replace('http:', 'https:');
    session = connect(origin, { rejectUnauthorized: false });
  });
  afterAll(async () => {
    session?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('needs both TLS files or neither', () => {
    expect(() => parseServerConfig(testEnv({ TLS_CERT_FILE: '/x/cert.pem' }))).toThrow(ConfigError);
    expect(() => parseServerConfig(testEnv({ TLS_CERT_FILE: '/x/cert.pem' }))).toThrow(/TLS_KEY_FILE/);
  });

  it('speaks HTTP/2 to clients that negotiate it (ALPN h2)', async () => {
    const res = await h2(session, '/readyz');
    expect(res.status).toBe(200);
    expect(session.alpnProtocol).toBe('h2');
    expect(JSON.parse(res.body.toString())).toMatchObject({ status: 'ready' });
  });

  it('still answers HTTP/1.1 over TLS (allowHTTP1)', async () => {
    const res = await new Promise<{ version: string; status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${origin}/readyz`, { rejectUnauthorized: false }, (r) => {
        let body = '';
        r.on('data', (c) => {
          body += c;
        });
        r.on('end', () => resolve({ version: r.httpVersion, status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res).toMatchObject({ version: '1.1', status: 200 });
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ready' });
  });

  it('stores with STOW-RS and streams multipart WADO-RS responses over HTTP/2, many in parallel on one connection', async () => {
    const { body, contentType } = multipartBody(fixtures.map((f) => ({ body: f.bytes })));
    const stored = await h2(session, '/dicomweb/studies', { authorization: practice.bearer, 'content-type': contentType, accept: 'application/dicom+json' }, body);
    expect(stored.status).toBe(200);

    // Every instance at once, multiplexed on the one session.
    const all = await Promise.all(
      fixtures.map((f) =>
        h2(session, `/dicomweb/studies/${f.study}/series/${f.series}/instances/${f.sop}`, {
          authorization: practice.bearer,
          accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
        }),
      ),
    );
    for (const [i, res] of all.entries()) {
      expect(res.status).toBe(200);
      // No HTTP/1 connection-specific headers (they are illegal in HTTP/2, RFC 9113 §8.2.2).
      expect(res.headers[constants.HTTP2_HEADER_CONNECTION]).toBeUndefined();
      const [part] = splitMultipart(String(res.headers['content-type']), res.body);
      expect(sha(part!.body), fixtures[i]!.name).toBe(sha(fixtures[i]!.bytes));
    }
    const study = fixtures[2]!;
    const whole = await h2(session, `/dicomweb/studies/${study.study}`, { authorization: practice.bearer, accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' });
    expect(splitMultipart(String(whole.headers['content-type']), whole.body).map((p) => sha(p.body)).sort()).toEqual(
      fixtures.filter((f) => f.study === study.study).map((f) => sha(f.bytes)).sort(),
    );
  });

  it('serves frames and compressed metadata over HTTP/2 with BulkDataURIs on the https origin', async () => {
    const us = fixtures.find((f) => f.frames === 3)!;
    const frames = await Promise.all(
      [1, 2, 3].map((n) =>
        h2(session, `/dicomweb/studies/${us.study}/series/${us.series}/instances/${us.sop}/frames/${n}`, {
          authorization: practice.bearer,
          accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*',
        }),
      ),
    );
    for (const f of frames) {
      expect(f.status).toBe(200);
      expect(splitMultipart(String(f.headers['content-type']), f.body)[0]!.headers).toContain(`transfer-syntax=${us.transferSyntaxUid}`);
    }
    // Decoded on the fly over HTTP/2 too (JPEG-LS → native little endian).
    const ls = fixtures.find((f) => f.name === 'JPEG-LS')!;
    const native = await h2(session, `/dicomweb/studies/${ls.study}/series/${ls.series}/instances/${ls.sop}/frames/1`, {
      authorization: practice.bearer,
      accept: 'multipart/related; type=application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1',
    });
    expect(native.status).toBe(200);
    const [decoded] = splitMultipart(String(native.headers['content-type']), native.body);
    expect(decoded!.contentType).toBe('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1');
    expect(decoded!.body.length).toBe(32 * 32 * 2);
    const meta = await h2(session, `/dicomweb/studies/${us.study}/series/${us.series}/metadata`, { authorization: practice.bearer, 'accept-encoding': 'br' });
    expect(meta.status).toBe(200);
    expect(meta.headers['content-encoding']).toBe('br');
    const json = JSON.parse(brotliDecompressSync(meta.body).toString()) as Record<string, { BulkDataURI?: string }>[];
    expect(json[0]!['7FE00010']!.BulkDataURI).toBe(`${origin}/dicomweb/studies/${us.study}/series/${us.series}/instances/${us.sop}/frames`);
  });
});
