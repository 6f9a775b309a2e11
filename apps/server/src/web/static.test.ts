import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webRoutes } from './static';

describe('portal and viewer static serving', () => {
  let dir: string;
  let app: FastifyInstance;
  const html = { accept: 'text/html,application/xhtml+xml' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'web-dist-'));
    mkdirSync(path.join(dir, 'assets'));
    mkdirSync(path.join(dir, 'ohif'));
    writeFileSync(path.join(dir, 'index.html'), '<html>portal</html>');
    writeFileSync(path.join(dir, 'assets', 'index-AbCdEf12.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'ohif', 'index.html'), '<html>ohif</html>');
    writeFileSync(path.join(dir, 'ohif', '0123456789abcdef.wasm'), Buffer.from([0, 97, 115, 109]));
    writeFileSync(path.join(dir, 'ohif', 'app.bundle.0123456789abcdef.js'), 'var a = 1;');
    writeFileSync(path.join(dir, 'ohif', 'app.bundle.0123456789abcdef.js.gz'), gzipSync('var a = 1;'));
    writeFileSync(path.join(tmpdir(), 'outside-secret.txt'), 'secret');
    app = Fastify();
    await app.register(webRoutes, { webDir: dir });
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the portal, and index.html for app routes (study URLs end in dotted UIDs)', async () => {
    expect((await app.inject({ url: '/', headers: html })).body).toBe('<html>portal</html>');
    const route = await app.inject({ url: '/studies/1.2.826.0.1.3680043', headers: html });
    expect(route.statusCode).toBe(200);
    expect(route.body).toBe('<html>portal</html>');
    expect(route.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing asset with 404, never the app shell', async () => {
    const res = await app.inject({ url: '/assets/index-missing1.js', headers: { accept: '*/*' } });
    expect(res.statusCode).toBe(404);
    const chunk = await app.inject({ url: '/ohif/9999.bundle.0123456789abcdef.js', headers: { accept: '*/*' } });
    expect(chunk.statusCode).toBe(404);
  });

  it('caches hashed files immutably, types wasm, and sends precompressed bundles', async () => {
    const js = await app.inject({ url: '/assets/index-AbCdEf12.js' });
    expect(js.headers['cache-control']).toContain('immutable');
    const wasm = await app.inject({ url: '/ohif/0123456789abcdef.wasm' });
    expect(wasm.headers['content-type']).toBe('application/wasm');
    const gz = await app.inject({ url: '/ohif/app.bundle.0123456789abcdef.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.equals(gzipSync('var a = 1;'))).toBe(true);
    const viewerRoute = await app.inject({ url: '/ohif/viewer?StudyInstanceUIDs=1.2.3', headers: html });
    expect(viewerRoute.body).toBe('<html>ohif</html>');
  });

  it('keeps API paths and traversal out of the static tree', async () => {
    const api = await app.inject({ url: '/api/nope', headers: html });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await app.inject({ url: '/dicomweb/studies/x', headers: html })).statusCode).toBe(404);
    const trav = await app.inject({ url: '/..%2Foutside-secret.txt' });
    expect(trav.body).not.toContain('secret');
    const etag = (await app.inject({ url: '/assets/index-AbCdEf12.js' })).headers.etag as string;
    expect((await app.inject({ url: '/assets/index-AbCdEf12.js', headers: { 'if-none-match': etag } })).statusCode).toBe(304);
  });
});
