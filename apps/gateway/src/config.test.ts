import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@vetpacs/config';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from './config';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function file(content: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-config-'));
  dirs.push(dir);
  const p = path.join(dir, 'gateway.json');
  writeFileSync(p, JSON.stringify(content));
  return p;
}

const minimal = { dataDir: 'data', cloud: { url: 'https://pacs.example.com/', keyId: 'gw_1', secret: 's' } };

describe('parseGatewayConfig', () => {
  it('fills defaults, resolves paths against the file and parses byte sizes', () => {
    const p = file({ ...minimal, storage: { budgetBytes: '2GB' }, retention: { cacheBytes: '1GB' } });
    const c = parseGatewayConfig(p, {});
    expect(c.dataDir).toBe(path.join(path.dirname(p), 'data'));
    expect(c.cloud.url).toBe('https://pacs.example.com');
    expect(c.storage.budgetBytes).toBe(2e9);
    expect(c.storage.minFreeBytes).toBe(1e9);
    expect(c.dimse).toMatchObject({ aeTitle: 'VETPACS', port: 11112, timeouts: { associationMs: 120_000 } });
    expect(c.upload.chunkBytes).toBe(8 * 1024 * 1024);
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('lets GATEWAY_* environment variables override the file (secrets stay out of it)', () => {
    const c = parseGatewayConfig(file({ ...minimal, cloud: { url: 'https://a.example', keyId: 'k' } }), { GATEWAY_SECRET: 'from-env', GATEWAY_DIMSE_PORT: '104' });
    expect(c.cloud.secret).toBe('from-env');
    expect(c.dimse.port).toBe(104);
  });
  it('reports every problem at once', () => {
    try {
      parseGatewayConfig(file({ cloud: { url: 'http://pacs.example.com', keyId: '' }, dimse: { aeTitle: 'WAY-TOO-LONG-AE-TITLE' }, bogus: 1 }), {});
      expect.unreachable();
    } catch (err) {
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/dataDir/);
      expect(problems).toMatch(/cloud\.keyId/);
      expect(problems).toMatch(/cloud\.secret/);
      expect(problems).toMatch(/dimse\.aeTitle/);
      expect(problems).toMatch(/bogus|Unrecognized/);
    }
  });
  it('requires https except on loopback', () => {
    expect(() => parseGatewayConfig(file({ ...minimal, cloud: { ...minimal.cloud, url: 'http://pacs.example.com' } }), {})).toThrow(/https/);
    expect(parseGatewayConfig(file({ ...minimal, cloud: { ...minimal.cloud, url: 'http://127.0.0.1:8080' } }), {}).cloud.url).toBe('http://127.0.0.1:8080');
  });
});
