import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { CommitOutcomeUnknown } from '../ingest/record-errors';
import { installErrorHandler } from './error-handler';
import { badRequest } from './errors';
import { unavailableDependency } from './unavailable';

/** An error as node-postgres raises it for a server message (a DatabaseError with its SQLSTATE). */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { name: 'error', code, severity: 'FATAL' });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });

describe('unavailableDependency', () => {
  it('names the database for a restart, a failover, a lost or refused connection, and what they caused', () => {
    expect(unavailableDependency(pgError('57P01', 'terminating connection due to administrator command'))).toBe('database');
    expect(unavailableDependency(pgError('57P03', 'the database system is starting up'))).toBe('database');
    expect(unavailableDependency(pgError('08006', 'connection failure'))).toBe('database');
    expect(unavailableDependency(pgError('53300', 'sorry, too many clients already'))).toBe('database');
    expect(unavailableDependency(new Error('Connection terminated unexpectedly'))).toBe('database');
    expect(unavailableDependency(Object.assign(new Error("Can't reach database server"), { code: 'P1001' }))).toBe('database');
    expect(unavailableDependency(new CommitOutcomeUnknown(new Error('Connection terminated unexpectedly'), '42'))).toBe('database');
    expect(unavailableDependency(systemError('ECONNREFUSED'))).toBe('service');
  });

  it('names nothing for the server\'s own faults and for bad input', () => {
    expect(unavailableDependency(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(unavailableDependency(pgError('23505', 'duplicate key value violates unique constraint'))).toBeUndefined();
    expect(unavailableDependency(pgError('42P01', 'relation "x" does not exist'))).toBeUndefined();
    expect(unavailableDependency(undefined)).toBeUndefined();
  });
});

describe('installErrorHandler', () => {
  async function answer(err: Error) {
    const app = Fastify({ logger: false });
    installErrorHandler(app);
    app.get('/x', async () => {
      throw err;
    });
    const res = await app.inject({ method: 'GET', url: '/x' });
    await app.close();
    return res;
  }

  it('answers an unavailable database with 503, Retry-After and a reason', async () => {
    const res = await answer(pgError('57P01', 'terminating connection due to administrator command'));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toEqual({ error: { code: 'UNAVAILABLE', message: 'the database is unavailable; retry in a few seconds' } });
  });

  it('keeps 500 for its own faults, without their details, and 4xx for bad input', async () => {
    const fault = await answer(new TypeError('secret internals'));
    expect(fault.statusCode).toBe(500);
    expect(fault.headers['retry-after']).toBeUndefined();
    expect(fault.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error (logged)' } });
    const bad = await answer(badRequest('INVALID_UID', 'not a valid UID'));
    expect(bad.statusCode).toBe(400);
  });
});
