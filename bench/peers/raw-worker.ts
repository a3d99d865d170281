/**
 * Raw `postMessage` to one worker: the physical floor of a cross-thread call. Each call posts its
 * payload and gets a promise; the worker answers in order, so replies resolve a FIFO of pending
 * calls (a ring with a moving head, no per-call id or Map).
 */
import { Worker } from 'node:worker_threads';

export class RawWorker {
  readonly #worker: Worker;
  #pending: ((value: unknown) => void)[] = [];
  #head = 0;

  constructor(file: URL) {
    this.#worker = new Worker(file);
    this.#worker.on('message', (value: unknown) => {
      const resolve = this.#pending[this.#head];
      this.#pending[this.#head++] = undefined as unknown as (value: unknown) => void;
      if (this.#head > 4096 && this.#head * 2 > this.#pending.length) {
        this.#pending = this.#pending.slice(this.#head);
        this.#head = 0;
      }
      resolve?.(value);
    });
  }

  /** Resolves once the worker is running (its first message round trip). */
  async ready(): Promise<void> {
    await this.call('');
  }

  call(payload: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      this.#pending.push(resolve);
      this.#worker.postMessage(payload);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
