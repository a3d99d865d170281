/**
 * The per-key services of one interceptor: registered on a key's first request from the template,
 * kept in least-recently-used order, and the oldest unregistered when one more would exceed the
 * bound (its breaker state goes with it; late outcomes of its requests in flight are dropped, as
 * for any unregister()). Services the user registered under the same name are used, never owned.
 */
import type { ResolvedInterceptorOptions } from './options.ts';

export class KeyedServices {
  readonly #o: ResolvedInterceptorOptions;
  /** Key -> service name, in least-recently-used order (a Map iterates in insertion order). */
  readonly #owned = new Map<string, string>();
  /** The last key seen: a burst to one origin skips the reordering. */
  #last: string | undefined;
  #lastName = '';

  constructor(options: ResolvedInterceptorOptions) {
    this.#o = options;
  }

  /** The service name for `key`, registering its service first if needed. Throws what register() throws. */
  nameFor(key: string): string {
    if (key === this.#last) return this.#lastName;
    let name = this.#owned.get(key);
    if (name !== undefined) {
      this.#owned.delete(key);
      this.#owned.set(key, name);
    } else {
      name = this.#o.serviceName(key);
      const sup = this.#o.supervisor;
      if (!sup.has(name)) {
        sup.register(name, this.#o.service(key));
        this.#owned.set(key, name);
        this.#evict();
      }
    }
    this.#last = key;
    this.#lastName = name;
    return name;
  }

  /** Forgets `key` (its service was unregistered by someone else): the next request registers it again. */
  forget(key: string): void {
    this.#owned.delete(key);
    if (this.#last === key) this.#last = undefined;
  }

  /** How many services this interceptor registered and keeps. */
  get size(): number {
    return this.#owned.size;
  }

  #evict(): void {
    while (this.#owned.size > this.#o.maxServices) {
      const [key, name] = this.#owned.entries().next().value as [string, string];
      this.#owned.delete(key);
      // unregister() only rejects for a name that is already gone: nothing is left to clean up.
      this.#o.supervisor.unregister(name).catch(() => undefined);
    }
  }
}
