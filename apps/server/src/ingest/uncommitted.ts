/** What Postgres says of a transaction (pg_xact_status); null: too old for it to know. */
export type TransactionStatus = 'committed' | 'aborted' | 'in progress' | null;

export interface UncommittedDeps {
  /** The transaction's outcome; throws while the database cannot be asked (it is down). */
  status: (xid: string) => Promise<TransactionStatus>;
  /** Removes an object (a missing one is not an error). */
  remove: (key: string) => Promise<void>;
  log: { info: (obj: object, msg: string) => void; warn: (obj: object, msg: string) => void };
}

export interface UncommittedOptions {
  /** First check this long after a commit was lost; doubled after each check that could not decide. */
  firstDelayMs: number;
  maxDelayMs: number;
  /** Objects watched at most; beyond, they are left to the integrity scrub. */
  maxObjects: number;
}

interface Watched {
  keys: string[];
  /** Postgres said it rolled back: only the removals are left (some failed). */
  aborted: boolean;
}

/**
 * The objects of records whose COMMIT was never confirmed (CommitOutcomeUnknown: the connection
 * broke while it was in flight, as in a database restart or failover). They must stay while a row
 * may refer to them; once Postgres can say what became of the transaction they are removed if it
 * rolled back (nothing refers to them; the sender was told the instances failed and sends them
 * again, as new objects) and kept if it committed. Until then, and for anything not decided here
 * (a process that stops first, a transaction too old to look up), the integrity scrub reports them
 * as unindexed objects, as before.
 *
 * Checked in the background, first after `firstDelayMs` (the database is usually back by then),
 * then with a doubling delay while it cannot be asked or the transaction is still in progress.
 */
export class UncommittedObjects {
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #delayMs: number;
  #checking: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly deps: UncommittedDeps,
    private readonly opts: UncommittedOptions = { firstDelayMs: 1_000, maxDelayMs: 60_000, maxObjects: 10_000 },
  ) {
    this.#delayMs = opts.firstDelayMs;
  }

  /** Objects waiting for their transaction's outcome. */
  get pending(): number {
    let n = 0;
    for (const w of this.#watched.values()) n += w.keys.length;
    return n;
  }

  /** Watches `key`, the object of a record committed by transaction `xid` or not. */
  watch(xid: string | undefined, key: string): void {
    if (this.#closed || xid === undefined || this.pending >= this.opts.maxObjects) {
      this.deps.log.warn({ key, xid }, 'object of an unconfirmed commit left to the integrity scrub');
      return;
    }
    const w = this.#watched.get(xid);
    if (w) w.keys.push(key);
    else this.#watched.set(xid, { keys: [key], aborted: false });
    this.#schedule();
  }

  /** Runs a check now (and waits for one already running): for tests and shutdown. */
  async checkNow(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // One check at a time: a second waits for the first, then runs.
    const run = (this.#checking ?? Promise.resolve()).then(() => this.#check());
    this.#checking = run;
    await run;
    if (this.#checking !== run) return;
    this.#checking = undefined;
    if (this.#watched.size) this.#schedule();
  }

  /** One last check; what is still undecided is left to the integrity scrub. */
  async close(): Promise<void> {
    if (this.#watched.size) await this.checkNow();
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#watched.size) this.deps.log.warn({ objects: this.pending }, 'objects of unconfirmed commits left to the integrity scrub');
  }

  #schedule(): void {
    if (this.#timer || this.#checking || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.checkNow();
    }, this.#delayMs);
    this.#timer.unref();
  }

  async #check(): Promise<void> {
    let undecided = false;
    for (const [xid, w] of [...this.#watched]) {
      if (!w.aborted) {
        let status: TransactionStatus;
        try {
          status = await this.deps.status(xid);
        } catch {
          undecided = true; // the database cannot be asked yet: all of them wait for the next check
          break;
        }
        if (status === 'in progress') {
          undecided = true;
          continue;
        }
        if (status !== 'aborted') {
          // Committed: rows refer to the objects. Unknown: only a human can tell (the scrub reports them).
          if (status === null) this.deps.log.warn({ xid, keys: w.keys }, 'outcome of an unconfirmed commit no longer known: left to the integrity scrub');
          this.#watched.delete(xid);
          continue;
        }
        w.aborted = true;
      }
      const failed: string[] = [];
      for (const key of w.keys) {
        await this.deps.remove(key).catch(() => failed.push(key));
      }
      if (failed.length) {
        undecided = true;
        w.keys = failed;
      } else {
        this.deps.log.info({ xid, objects: w.keys.length }, 'removed the objects of a rolled-back commit');
        this.#watched.delete(xid);
      }
    }
    this.#delayMs = undecided ? Math.min(this.#delayMs * 2, this.opts.maxDelayMs) : this.opts.firstDelayMs;
  }
}
