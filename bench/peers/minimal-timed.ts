/**
 * The floor of an exact call timeout, written by hand: what any breaker with a per-call timeout
 * must do at least. Per call: one Map lookup, one clock read, one promise, one entry in a deadline
 * list (FIFO: one duration, so deadlines arrive in order) served by one timer. It records the
 * outcome in a failure counter and does nothing else: no states, no events, no metrics.
 */
import { performance } from 'node:perf_hooks';

interface Entry {
  at: number;
  next: Entry | null;
  prev: Entry | null;
  settled: boolean;
  reject: (error: unknown) => void;
}

interface Service {
  readonly timeoutMs: number;
  failures: number;
}

export class MinimalTimed {
  readonly #services = new Map<string, Service>();
  #head: Entry | null = null;
  #tail: Entry | null = null;
  #timer: NodeJS.Timeout | undefined;

  register(name: string, timeoutMs: number): this {
    this.#services.set(name, { timeoutMs, failures: 0 });
    return this;
  }

  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const svc = this.#services.get(name);
    if (svc === undefined) return Promise.reject(new Error(`no service ${name}`));
    const at = performance.now() + svc.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { at, next: null, prev: this.#tail, settled: false, reject };
      if (this.#tail === null) this.#head = entry;
      else this.#tail.next = entry;
      this.#tail = entry;
      if (this.#timer === undefined) this.#arm(svc.timeoutMs);
      fn().then(
        (value) => {
          if (this.#settle(entry)) {
            svc.failures = 0;
            resolve(value);
          }
        },
        (error: unknown) => {
          if (this.#settle(entry)) {
            svc.failures++;
            reject(error);
          }
        },
      );
    });
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #settle(entry: Entry): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    if (entry.prev === null) this.#head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.#tail = entry.prev;
    else entry.next.prev = entry.prev;
    return true;
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const now = performance.now();
      while (this.#head !== null && this.#head.at <= now) {
        const entry = this.#head;
        this.#settle(entry);
        entry.reject(new Error('timed out'));
      }
      if (this.#head !== null) this.#arm(this.#head.at - now);
    }, ms);
    this.#timer.unref();
  }
}
