/**
 * Rejections that skip Node's unhandled-rejection bookkeeping. `Promise.reject(e)` is rejected
 * before the caller can attach a handler, so Node records it as possibly unhandled (a WeakMap
 * entry, a closure, a list push) and un-records it when the caller's `await` attaches one:
 * ~450 ns of the ~700 ns that an awaited `Promise.reject` costs here. A promise resolved with a
 * thenable that rejects settles one microtask later, once the caller's handler is attached, so
 * none of that happens. A caller that drops the promise still gets the usual unhandled-rejection
 * report: when the rejection comes, it finds no handler, as before.
 */

class Rejection {
  readonly #error: unknown;
  constructor(error: unknown) {
    this.#error = error;
  }
  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose; only the promise job that adopts it ever sees it.
  then(_resolve: unknown, reject: (error: unknown) => void): void {
    reject(this.#error);
  }
}

/** A promise that rejects with `error` one microtask from now. */
export function rejectLater<T>(error: unknown): Promise<T> {
  return Promise.resolve(new Rejection(error) as unknown as PromiseLike<T>);
}
