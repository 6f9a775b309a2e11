/**
 * A background job run every `intervalMs` and on demand, never overlapping itself: a `kick` while
 * a run is in progress joins that run instead of starting another. Errors go to `onError` (a run
 * that fails is simply tried again at the next tick or kick). The timer does not keep the process
 * alive, and `stop` only stops the timer: a run in progress finishes on its own.
 */
export class SerialTask {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;

  constructor(
    private readonly job: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.kick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Runs the job now unless a run is in progress; resolves when the run (new or joined) ends. */
  kick(): Promise<void> {
    this.current ??= this.job()
      .then(() => undefined, this.onError)
      .finally(() => {
        this.current = undefined;
      });
    return this.current;
  }
}
