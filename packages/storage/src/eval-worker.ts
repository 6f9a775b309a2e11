import { type Transferable, Worker } from 'node:worker_threads';

/**
 * A worker thread that runs `main` from its source text (the hash worker, the small-file writers).
 * `main` must not use anything from its module: it takes Node's modules with
 * `process.getBuiltinModule`, which a bundler leaves alone, so the same code runs from the sources
 * (tsx) and from the server bundle without a second entry file.
 *
 * Every message the thread sends is the answer to one {@link ask}. The thread keeps the process
 * alive only while answers are awaited: an idle one must not hold it open, and a script whose last
 * step is a put must not exit before the answer (the file) is there.
 */
export class EvalWorker<Question, Answer> {
  readonly #worker: Worker;
  #awaited = 0;

  /**
   * `onAnswer` gets each message the thread sends; `onDeath` its error or exit (it should not die:
   * the owner fails what it was asked and starts another).
   */
  constructor(main: () => void, onAnswer: (answer: Answer) => void, onDeath: (err: Error) => void) {
    // `__name`: what esbuild's keepNames (tsx, our bundle) wraps inner functions in.
    this.#worker = new Worker(`const __name = (f) => f;\n(${main.toString()})();`, { eval: true });
    this.#worker.unref();
    this.#worker.on('message', (answer: Answer) => {
      if (--this.#awaited === 0) this.#worker.unref();
      onAnswer(answer);
    });
    this.#worker.on('error', onDeath);
    this.#worker.on('exit', (code) => onDeath(new Error(`exited with code ${code}`)));
  }

  /** Posts a message the thread answers with exactly one message. */
  ask(question: Question, transfer?: readonly Transferable[]): void {
    if (this.#awaited++ === 0) this.#worker.ref();
    this.#worker.postMessage(question, transfer);
  }

  /** Posts a message the thread does not answer. */
  tell(message: Question): void {
    this.#worker.postMessage(message);
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }
}
