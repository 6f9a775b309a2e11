import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, fields } from '@vetpacs/config';
import { z } from 'zod';

const aeTitle = z.string().regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'AE title: 1–16 printable characters, no backslash (PS3.5 §6.2)').transform((s) => s.trim());
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time of day as HH:MM');
const ms = (def: number) => z.coerce.number().int().positive().default(def);
const byteSize = (def: string) => fields.bytes.prefault(def);

/** A bandwidth window, e.g. clinic hours Mon–Fri 08:00–18:00 at 2 MB/s. */
const windowSchema = z.object({
  /** ISO weekdays 1 (Mon) … 7 (Sun); empty = every day. */
  days: z.array(z.number().int().min(1).max(7)).default([]),
  from: hhmm,
  to: hhmm,
  bytesPerSec: fields.bytes,
});

const schema = z
  .object({
    /** Where the spool (received files) and the SQLite queue live. */
    dataDir: z.string().min(1),
    cloud: z.object({
      /** Base URL of the cloud (https in production; plain http only on loopback or when allowHttp). */
      url: fields.httpUrl,
      keyId: z.string().min(1),
      secret: z.string().min(1),
      /** PEM file with an extra CA (self-hosted cloud behind a private CA). */
      caFile: z.string().optional(),
      allowHttp: z.boolean().default(false),
      requestTimeoutMs: ms(60_000),
    }),
    dimse: z
      .object({
        aeTitle: aeTitle.default('VETPACS'),
        host: z.string().default('0.0.0.0'),
        port: fields.port.default(11112),
        /** Calling AE titles allowed to associate; empty = any. */
        allowedCallingAeTitles: z.array(aeTitle).default([]),
        /** Peer IPv4/IPv6 addresses or IPv4 CIDR blocks allowed to connect; empty = any. */
        allowedAddresses: z.array(z.string()).default([]),
        /** Reject associations whose called AE title is not ours (some devices send anything). */
        checkCalledAeTitle: z.boolean().default(true),
        /** Accept private (non-1.2.840.10008) SOP classes as storage. */
        acceptPrivateSopClasses: z.boolean().default(true),
        tls: z.object({ certFile: z.string(), keyFile: z.string(), caFile: z.string().optional(), requireClientCert: z.boolean().default(false) }).optional(),
        timeouts: z
          .object({ connectMs: ms(60_000), associationMs: ms(120_000), pduMs: ms(120_000) })
          .prefault({}),
      })
      .prefault({}),
    storage: z
      .object({
        /** Most bytes the spool may hold (pending uploads + LAN cache); C-STOREs beyond it are refused. */
        budgetBytes: byteSize('50GB'),
        /** Free space always left on the disk; C-STOREs are refused before the disk fills. */
        minFreeBytes: byteSize('1GB'),
      })
      .prefault({}),
    retention: z
      .object({
        /** Verified studies stay on the LAN this long for fast local access during a cloud outage. */
        keepDays: z.coerce.number().nonnegative().default(7),
        /** Verified cache never exceeds this (oldest forgotten first). */
        cacheBytes: byteSize('20GB'),
        intervalMs: ms(60_000),
      })
      .prefault({}),
    upload: z
      .object({
        parallel: z.coerce.number().int().min(1).max(16).default(2),
        chunkBytes: byteSize('8MiB'),
        /** Instances below this size travel in bundles; bigger ones alone. */
        smallInstanceBytes: byteSize('4MiB'),
        bundleMaxBytes: byteSize('32MiB'),
        bundleMaxInstances: z.coerce.number().int().min(1).max(10_000).default(500),
        backoffBaseMs: ms(1_000),
        backoffMaxMs: ms(300_000),
        /** Default cap in bytes/s (0 = unlimited) and optional windows that override it. */
        bandwidth: z.object({ bytesPerSec: fields.bytes.prefault(0), schedule: z.array(windowSchema).default([]) }).prefault({}),
        /** Studies from these calling AE titles jump the queue. */
        urgentCallingAeTitles: z.array(aeTitle).default([]),
      })
      .prefault({}),
    commitment: z
      .object({
        /** Where to send N-EVENT-REPORTs, per calling AE title (PS3.4 J.3.3: a new association). */
        peers: z.array(z.object({ aeTitle, host: z.string(), port: fields.port })).default([]),
        intervalMs: ms(2_000),
      })
      .prefault({}),
    importer: z.object({ dropDir: z.string().optional(), scanIntervalMs: ms(5_000) }).prefault({}),
    status: z.object({ host: z.string().default('0.0.0.0'), port: fields.port.default(8104) }).prefault({}),
    heartbeat: z.object({ intervalMs: ms(60_000) }).prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const u = new URL(c.cloud.url);
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    if (u.protocol === 'http:' && !loopback && !c.cloud.allowHttp) {
      ctx.addIssue({ code: 'custom', path: ['cloud', 'url'], message: 'must be https:// (plain http only on loopback or with cloud.allowHttp)' });
    }
    if (c.retention.cacheBytes > c.storage.budgetBytes) {
      ctx.addIssue({ code: 'custom', path: ['retention', 'cacheBytes'], message: 'must not exceed storage.budgetBytes' });
    }
  });

export type GatewayConfig = Readonly<z.infer<typeof schema>>;

/** Environment variables that override the file (secrets belong in env or a root-only file). */
const ENV: Record<string, string[]> = {
  GATEWAY_DATA_DIR: ['dataDir'],
  GATEWAY_CLOUD_URL: ['cloud', 'url'],
  GATEWAY_KEY_ID: ['cloud', 'keyId'],
  GATEWAY_SECRET: ['cloud', 'secret'],
  GATEWAY_CA_FILE: ['cloud', 'caFile'],
  GATEWAY_AE_TITLE: ['dimse', 'aeTitle'],
  GATEWAY_DIMSE_PORT: ['dimse', 'port'],
  GATEWAY_STATUS_PORT: ['status', 'port'],
  GATEWAY_DROP_DIR: ['importer', 'dropDir'],
  GATEWAY_LOG_LEVEL: ['logLevel'],
};

function setPath(obj: Record<string, unknown>, keys: string[], value: string): void {
  let at = obj;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

/**
 * Parses the gateway configuration: a JSON file (optional) overlaid with `GATEWAY_*` environment
 * variables, validated strictly. Relative paths resolve against the file's folder. Throws
 * {@link ConfigError} listing every problem.
 */
export function parseGatewayConfig(file: string | undefined, env: Record<string, string | undefined>): GatewayConfig {
  let raw: Record<string, unknown> = {};
  const base = file ? path.dirname(path.resolve(file)) : process.cwd();
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`${file}: ${(err as Error).message}`]);
    }
  }
  for (const [name, keys] of Object.entries(ENV)) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, keys, v);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const c = result.data;
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(base, p));
  c.dataDir = abs(c.dataDir)!;
  c.cloud.caFile = abs(c.cloud.caFile);
  c.importer.dropDir = abs(c.importer.dropDir);
  if (c.dimse.tls) c.dimse.tls = { ...c.dimse.tls, certFile: abs(c.dimse.tls.certFile)!, keyFile: abs(c.dimse.tls.keyFile)!, caFile: abs(c.dimse.tls.caFile) };
  c.cloud.url = c.cloud.url.replace(/\/+$/, '');
  return Object.freeze(c);
}
