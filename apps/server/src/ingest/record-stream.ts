import type { PoolClient } from '@vetpacs/db';
import type { PartStream } from './pipeline';
import { CommitOutcomeUnknown } from './record-errors';
import type { IngestContext, InstanceReceipt, InstanceRecord, PartResult, RequestPart } from './types';

/** Writes parts in one call on `client` (IngestRepo's manual_ingest_batch call). */
export type BatchWriter = (client: PoolClient, parts: RequestPart[]) => Promise<PartResult[]>;

/**
 * The id of the transaction just begun on `client` (pipelined behind its BEGIN: no round trip of
 * its own), for telling a COMMIT's outcome later if its answer is lost (CommitOutcomeUnknown);
 * undefined if it could not be read.
 */
export function transactionId(client: PoolClient | Promise<PoolClient>): Promise<string | undefined> {
  const ask = (c: PoolClient) => c.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  // A client at hand is asked at once, so the query goes right behind the BEGIN sent before it.
  return (client instanceof Promise ? client.then(ask) : ask(client)).then(
    (r) => r.rows[0]?.xid,
    () => undefined,
  );
}

/** Per record, the error of its object write still in flight, once they have all settled. */
export async function failuresOf(durable: RequestPart['durable']): Promise<(Error | undefined)[]> {
  if (!durable) return [];
  return (await Promise.allSettled(durable)).map((o) =>
    o.status === 'fulfilled' ? undefined : o.reason instanceof Error ? o.reason : new Error(String(o.reason)),
  );
}

/**
 * One request's records written into one transaction as they come (see PartStream), on a
 * connection in pipeline mode (`client`: pg writes each query to the socket at once, without
 * waiting for the previous answer). A request's parts are parsed without the event loop turning,
 * so an answer could be read only once the whole input is parsed: pipelined, the first record is
 * in Postgres ~0.3 ms after the request arrived instead of after ~2 ms, and Postgres writes while
 * the rest is parsed. Records go alone at first, then in chunks that double (1, 2, 4, 8 …): the
 * backend is kept busy, and a call's own cost (~0.1 ms) is paid a few times per request, not once
 * per record. `done` runs once the transaction has ended (committed or rolled back).
 */
export function openRecordStream(client: Promise<PoolClient>, ctx: IngestContext, write: BatchWriter, done: (client: PoolClient | undefined, err?: Error) => void): PartStream {
  // Callbacks on one promise run in the order they were added: BEGIN first, then each chunk.
  const begun = client.then((c) => c.query('BEGIN'));
  begun.catch(() => {}); // awaited in close
  const xid = transactionId(client);
  const calls: Promise<PartResult[]>[] = [];
  const durable: (Promise<unknown> | undefined)[] = [];
  let unsent: InstanceRecord[] = [];
  let nextChunk = 1;
  const send = (records: InstanceRecord[], receipts: InstanceReceipt[], audit: boolean) => {
    const call = client.then((c) => write(c, [{ ctx, records, receipts, audit }]));
    call.catch(() => {}); // awaited in close
    calls.push(call);
  };
  return {
    add: (rec, objectWrite) => {
      unsent.push(rec);
      durable.push(objectWrite);
      if (unsent.length < nextChunk) return;
      send(unsent, [], false);
      unsent = [];
      nextChunk *= 2;
    },
    close: async (receipts, audit) => {
      send(unsent, receipts, audit);
      let c: PoolClient;
      try {
        c = await client;
      } catch (err) {
        done(undefined);
        throw err;
      }
      try {
        await begun;
        const results = (await Promise.all(calls)).map((r) => r[0]!);
        // A row never refers to an object a crash could lose: commit only once all are durable.
        const failed = (await failuresOf(durable)).find((f) => f !== undefined);
        if (failed) throw failed;
        await c.query('COMMIT').catch(async (err: unknown) => {
          throw new CommitOutcomeUnknown(err, await xid);
        });
        done(c);
        return { outcomes: results.flatMap((r) => r.outcomes), audited: results.some((r) => r.audited) };
      } catch (err) {
        const broken = await c.query('ROLLBACK').then(
          () => undefined,
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        );
        done(c, broken);
        throw err;
      }
    },
  };
}
