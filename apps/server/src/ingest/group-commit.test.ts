import { describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit';

/** A writer whose batches complete only when the test says so. */
function controlledWriter() {
  const batches: { items: number[]; finish: (results?: (string | Error)[]) => void; fail: (err: Error) => void }[] = [];
  const write = (items: number[]) =>
    new Promise<(string | Error)[]>((resolve, reject) => {
      batches.push({ items, finish: (results) => resolve(results ?? items.map((i) => `ok:${i}`)), fail: reject });
    });
  return { batches, write };
}

const tick = () => new Promise((r) => setImmediate(r));

/** Lets the first `count` batches complete one after another, each once it has been started. */
async function finishInTurn(w: ReturnType<typeof controlledWriter>, count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    await tick();
    w.batches[k]!.finish();
  }
}

describe('GroupCommit', () => {
  it('writes an item alone at once, and groups the items that arrive while a batch is in flight', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 64, lanes: 1 });
    const first = gc.submit(1);
    await tick();
    expect(w.batches.map((b) => b.items)).toEqual([[1]]);
    const later = [gc.submit(2), gc.submit(3), gc.submit(4)];
    await tick();
    expect(w.batches).toHaveLength(1); // one lane: the others wait for the first batch
    w.batches[0]!.finish();
    expect(await first).toBe('ok:1');
    await tick();
    expect(w.batches.map((b) => b.items)).toEqual([[1], [2, 3, 4]]);
    w.batches[1]!.finish();
    expect(await Promise.all(later)).toEqual(['ok:2', 'ok:3', 'ok:4']);
  });

  it('caps the batch size', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 2, lanes: 1 });
    const all = [1, 2, 3, 4, 5].map((i) => gc.submit(i));
    await finishInTurn(w, 3);
    await Promise.all(all);
    expect(w.batches.map((b) => b.items)).toEqual([[1], [2, 3], [4, 5]]);
  });

  it('caps the batch by total weight, but always takes at least one item', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 4, lanes: 1, weight: (n: number) => n });
    const all = [1, 5, 2, 2, 1].map((i) => gc.submit(i));
    await finishInTurn(w, 4);
    await Promise.all(all);
    expect(w.batches.map((b) => b.items)).toEqual([[1], [5], [2, 2], [1]]);
  });

  it('rejects only the item whose result is an error', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 64, lanes: 1 });
    const blocker = gc.submit(0);
    await tick();
    const items = [gc.submit(1), gc.submit(2), gc.submit(3)];
    w.batches[0]!.finish();
    await blocker;
    await tick();
    w.batches[1]!.finish(['ok:1', new Error('SERIES_IN_OTHER_STUDY'), 'ok:3']);
    const settled = await Promise.allSettled(items);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('SERIES_IN_OTHER_STUDY');
  });

  it('rejects every item of a batch whose write fails, and keeps serving later items', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 64, lanes: 1 });
    const a = gc.submit(1);
    await tick();
    w.batches[0]!.fail(new Error('connection terminated'));
    await expect(a).rejects.toThrow('connection terminated');
    const b = gc.submit(2);
    await tick();
    w.batches[1]!.finish();
    expect(await b).toBe('ok:2');
  });

  it('rejects all items when the writer returns the wrong number of results', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 64, lanes: 1 });
    const a = gc.submit(1);
    await tick();
    w.batches[0]!.finish([]);
    await expect(a).rejects.toThrow('0 results for 1 items');
  });

  it('with two lanes starts a second batch while the first is in flight, and groups what comes after', async () => {
    const w = controlledWriter();
    const gc = new GroupCommit(w.write, { maxBatch: 64, lanes: 2 });
    const a = gc.submit(1);
    await tick();
    const b = gc.submit(2);
    await tick();
    // Lane two took item 2 although batch [1] has not finished.
    expect(w.batches.map((x) => x.items)).toEqual([[1], [2]]);
    const c = gc.submit(3);
    const d = gc.submit(4);
    await tick();
    // Both lanes busy: 3 and 4 wait, then go together in whichever lane frees first.
    expect(w.batches).toHaveLength(2);
    w.batches[1]!.finish();
    expect(await b).toBe('ok:2');
    await tick();
    expect(w.batches.map((x) => x.items)).toEqual([[1], [2], [3, 4]]);
    w.batches[0]!.finish();
    w.batches[2]!.finish();
    expect(await Promise.all([a, c, d])).toEqual(['ok:1', 'ok:3', 'ok:4']);
  });

  it('with overlapAfterRelease starts the next batch only once the running one has released', async () => {
    const releases: (() => void)[] = [];
    const finishes: (() => void)[] = [];
    const batches: number[][] = [];
    const write = (items: number[], release: () => void) =>
      new Promise<string[]>((resolve) => {
        batches.push(items);
        releases.push(release);
        finishes.push(() => resolve(items.map((i) => `ok:${i}`)));
      });
    const gc = new GroupCommit(write, { maxBatch: 64, lanes: 2, overlapAfterRelease: true });
    const a = gc.submit(1);
    await tick();
    const b = [gc.submit(2), gc.submit(3)];
    await tick();
    // A lane is free, but batch [1] has not released: 2 and 3 wait.
    expect(batches).toEqual([[1]]);
    releases[0]!();
    await tick();
    expect(batches).toEqual([[1], [2, 3]]);
    const c = gc.submit(4);
    await tick();
    // Two batches in flight (one released, one not): 4 waits for a lane and for the release.
    expect(batches).toHaveLength(2);
    finishes[0]!();
    expect(await a).toBe('ok:1');
    await tick();
    expect(batches).toHaveLength(2); // [2, 3] still holds
    releases[1]!();
    await tick();
    expect(batches).toEqual([[1], [2, 3], [4]]);
    finishes[1]!();
    finishes[2]!();
    expect(await Promise.all([...b, c])).toEqual(['ok:2', 'ok:3', 'ok:4']);
  });
});
