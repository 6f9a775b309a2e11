/// <reference path="./s3rver.d.ts" />
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';

export interface S3Handle {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

/**
 * Starts `s3rver` (a real S3 HTTP server from npm) on loopback for dev and tests, with the given
 * buckets. Port 0 picks a free port. Only used when no S3_ENDPOINT is configured.
 */
export async function startS3rver(opts: { directory: string; buckets: string[]; port?: number }): Promise<S3Handle> {
  const { default: S3rver } = await import('s3rver');
  await mkdir(opts.directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory: opts.directory,
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [] })),
    // s3rver's default credentials; any AWS SDK client can sign with them.
  });
  const addr = (await server.run()) as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    region: 'us-east-1',
    stop: () => server.close(),
  };
}
