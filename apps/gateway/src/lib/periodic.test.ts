import { describe, expect, it } from 'vitest';
import { SerialTask } from './periodic';

describe('SerialTask', () => {
  it('never overlaps: a kick during a run joins it, the next kick starts a new run', async () => {
    let runs = 0;
    let release!: () => void;
    const task = new SerialTask(
      () => {
        runs += 1;
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      60_000,
      () => {},
    );
    const first = task.kick();
    const joined = task.kick();
    expect(runs).toBe(1);
    release();
    await Promise.all([first, joined]);
    void task.kick();
    expect(runs).toBe(2);
    release();
  });
  it('reports a failed run and runs again on the next kick', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new SerialTask(
      async () => {
        runs += 1;
        throw new Error('boom');
      },
      60_000,
      (err) => errors.push(err),
    );
    await task.kick();
    await task.kick();
    expect(runs).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom', 'boom']);
  });
});
