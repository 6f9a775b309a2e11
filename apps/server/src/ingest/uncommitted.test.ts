import { afterEach, describe, expect, it, vi } from 'vitest';
import { type TransactionStatus, UncommittedObjects } from './uncommitted';

/** Deps whose answers the test sets: status per xid (or a thrown error), removals recorded. */
function fakes(status: Record<string, TransactionStatus | Error>) {
  const removed: string[] = [];
  const failing = new Set<string>();
  const warnings: string[] = [];
  const deps = {
    status: async (xid: string) => {
      const s = status[xid];
      if (s instanceof Error) throw s;
      return s ?? null;
    },
    remove: async (key: string) => {
      if (failing.has(key)) throw new Error('store unavailable');
      removed.push(key);
    },
    log: { info: () => {}, warn: (_: object, msg: string) => void warnings.push(msg) },
  };
  return { deps, removed, failing, warnings };
}

const opts = { firstDelayMs: 1_000, maxDelayMs: 60_000, maxObjects: 3 };

afterEach(() => {
  vi.useRealTimers();
});

describe('UncommittedObjects', () => {
  it('removes the objects of a transaction that rolled back, and keeps those of one that committed', async () => {
    const { deps, removed } = fakes({ '10': 'aborted', '11': 'committed' });
    const u = new UncommittedObjects(deps, opts);
    u.watch('10', 'a');
    u.watch('10', 'b');
    u.watch('11', 'c');
    expect(u.pending).toBe(3);
    await u.checkNow();
    expect(removed).toEqual(['a', 'b']);
    expect(u.pending).toBe(0);
    await u.close();
  });

  it('waits while the transaction is in progress or the database cannot be asked', async () => {
    const status: Record<string, TransactionStatus | Error> = { '20': 'in progress', '21': new Error('connect ECONNREFUSED') };
    const { deps, removed } = fakes(status);
    const u = new UncommittedObjects(deps, opts);
    u.watch('20', 'a');
    u.watch('21', 'b');
    await u.checkNow();
    expect(removed).toEqual([]);
    expect(u.pending).toBe(2);
    status['20'] = 'aborted';
    status['21'] = 'aborted';
    await u.checkNow();
    expect(removed).toEqual(['a', 'b']);
    expect(u.pending).toBe(0);
  });

  it('retries a removal that failed, without asking the database again', async () => {
    const status: Record<string, TransactionStatus | Error> = { '30': 'aborted' };
    const { deps, removed, failing } = fakes(status);
    const u = new UncommittedObjects(deps, opts);
    failing.add('a');
    u.watch('30', 'a');
    u.watch('30', 'b');
    await u.checkNow();
    expect(removed).toEqual(['b']);
    expect(u.pending).toBe(1);
    failing.clear();
    status['30'] = new Error('the database is down again');
    await u.checkNow();
    expect(removed).toEqual(['b', 'a']);
    expect(u.pending).toBe(0);
  });

  it('leaves to the integrity scrub what it cannot decide: no transaction id, too many objects, an outcome too old to know', async () => {
    const { deps, removed, warnings } = fakes({ '40': null });
    const u = new UncommittedObjects(deps, opts);
    u.watch(undefined, 'no-xid');
    u.watch('40', 'a');
    u.watch('40', 'b');
    u.watch('40', 'c');
    u.watch('40', 'over-the-limit');
    expect(u.pending).toBe(3);
    await u.checkNow();
    expect(removed).toEqual([]);
    expect(u.pending).toBe(0);
    expect(warnings).toEqual([
      'object of an unconfirmed commit left to the integrity scrub',
      'object of an unconfirmed commit left to the integrity scrub',
      'outcome of an unconfirmed commit no longer known: left to the integrity scrub',
    ]);
  });

  it('checks by itself after the first delay, then with a doubling delay while undecided', async () => {
    vi.useFakeTimers();
    const status: Record<string, TransactionStatus | Error> = { '50': 'in progress' };
    const { deps, removed } = fakes(status);
    const asked: string[] = [];
    const asking = (xid: string) => {
      asked.push(xid);
      return deps.status(xid);
    };
    const u = new UncommittedObjects({ ...deps, status: asking }, opts);
    u.watch('50', 'a');
    await vi.advanceTimersByTimeAsync(999);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['50']);
    // Undecided: the next check comes 2 s later, not 1 s.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(asked).toEqual(['50']);
    status['50'] = 'aborted';
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toEqual(['50', '50']);
    expect(removed).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toEqual(['50', '50']);
  });

  it('makes a last check at close, and watches nothing after', async () => {
    const { deps, removed, warnings } = fakes({ '60': 'aborted', '61': 'in progress' });
    const u = new UncommittedObjects(deps, opts);
    u.watch('60', 'a');
    u.watch('61', 'b');
    await u.close();
    expect(removed).toEqual(['a']);
    expect(warnings).toEqual(['objects of unconfirmed commits left to the integrity scrub']);
    u.watch('60', 'c');
    expect(u.pending).toBe(1);
  });
});
