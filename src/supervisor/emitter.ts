/**
 * The supervisor's typed emitter (eventemitter3 underneath). Each listener is wrapped once so a
 * throwing listener cannot stop the others or corrupt state: its error is reported as one
 * `listenerError` event (or to the logger when the listenerError listener itself throws or none
 * is registered). `listening` flags let the hot path skip building per-call payloads nobody reads.
 */
import { EventEmitter } from 'eventemitter3';
import { invalidOption } from '../errors.ts';
import type { SupervisorEventName, SupervisorEvents, SupervisorListener } from '../events.ts';
import type { Logger } from '../types.ts';

type AnyListener = (payload: never) => void;

export class SafeEmitter {
  readonly #ee = new EventEmitter();
  /** listener -> event -> wrapper, so `off(event, listener)` finds the wrapper; `on` and `once` apart. */
  readonly #wrappers = new WeakMap<AnyListener, Map<SupervisorEventName, (payload: unknown) => void>>();
  readonly #onceWrappers = new WeakMap<AnyListener, Map<SupervisorEventName, (payload: unknown) => void>>();
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  /** True while someone listens to callSucceeded or callFailed: every call is then timed. */
  timed = false;
  /** True while at least one per-call listener exists for each event. */
  readonly listening = {
    callSucceeded: false,
    callFailed: false,
    callRejected: false,
    callTimedOut: false,
    fallback: false,
    lateResult: false,
  };

  readonly #onTimed: (timed: boolean) => void;

  /** `onTimed` hears when `timed` changes (the supervisor folds it into its hot-path flag). */
  constructor(logger: Logger | undefined, now: () => number, onTimed: (timed: boolean) => void = () => {}) {
    this.#logger = logger;
    this.#now = now;
    this.#onTimed = onTimed;
  }

  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>, once = false): void {
    if (typeof listener !== 'function') throw invalidOption('type', 'listener', 'a function', listener);
    const wrapper = this.#wrap(event, listener as unknown as AnyListener, once);
    if (once) this.#ee.once(event, wrapper);
    else this.#ee.on(event, wrapper);
    this.#refresh(event);
  }

  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): void {
    for (const table of [this.#wrappers, this.#onceWrappers]) {
      const byEvent = table.get(listener as unknown as AnyListener);
      const wrapper = byEvent?.get(event);
      if (wrapper === undefined) continue;
      this.#ee.off(event, wrapper);
      byEvent!.delete(event);
    }
    this.#refresh(event);
  }

  /** Listens to one service's events; returns the function that unsubscribes. */
  subscribe<E extends SupervisorEventName>(
    service: string,
    event: E,
    listener: SupervisorListener<E>,
  ): () => void {
    if (typeof listener !== 'function') throw invalidOption('type', 'listener', 'a function', listener);
    const filtered = ((payload: { service?: string }) => {
      if (payload.service === service) return (listener as (p: unknown) => unknown)(payload);
    }) as unknown as SupervisorListener<E>;
    this.on(event, filtered);
    return () => this.off(event, filtered);
  }

  removeAll(): void {
    this.#ee.removeAllListeners();
    for (const key of Object.keys(this.listening) as (keyof SafeEmitter['listening'])[]) {
      this.listening[key] = false;
    }
    if (this.timed) {
      this.timed = false;
      this.#onTimed(false);
    }
  }

  listenerCount(event: SupervisorEventName): number {
    return this.#ee.listenerCount(event);
  }

  emit<E extends SupervisorEventName>(event: E, payload: SupervisorEvents[E][0]): void {
    this.#ee.emit(event, payload);
  }

  #wrap(event: SupervisorEventName, listener: AnyListener, once: boolean): (payload: unknown) => void {
    const table = once ? this.#onceWrappers : this.#wrappers;
    let byEvent = table.get(listener);
    if (byEvent === undefined) {
      byEvent = new Map();
      table.set(listener, byEvent);
    }
    const existing = byEvent.get(event);
    if (existing !== undefined && !once) return existing;
    const wrapper = (payload: unknown): void => {
      if (once) {
        // eventemitter3 has already removed this once-listener when it calls it.
        if (byEvent.get(event) === wrapper) byEvent.delete(event);
        this.#refresh(event);
      }
      try {
        const r: unknown = (listener as (p: unknown) => unknown)(payload);
        // An async listener's rejection is reported like a throw; left alone it would be an
        // unhandled rejection, which ends the process.
        if (r !== undefined && r !== null && typeof (r as { then?: unknown }).then === 'function') {
          (r as PromiseLike<unknown>).then(undefined, (error: unknown) =>
            this.#reportListenerError(event, payload, error),
          );
        }
      } catch (error) {
        this.#reportListenerError(event, payload, error);
      }
    };
    byEvent.set(event, wrapper);
    return wrapper;
  }

  #reportListenerError(event: SupervisorEventName, payload: unknown, error: unknown): void {
    const service = (payload as { service?: string } | undefined)?.service;
    if (event !== 'listenerError' && this.#ee.listenerCount('listenerError') > 0) {
      this.#ee.emit('listenerError', { service, at: this.#now(), event, error });
      return;
    }
    // A throwing listenerError listener (or none at all): report once to the logger, never rethrow.
    if (this.#logger !== undefined)
      this.#logger.error({ err: error, event, service }, 'breakwater event listener threw');
    else
      process.emitWarning(`a "${event}" listener threw: ${String(error)}`, {
        code: 'BREAKWATER_LISTENER_ERROR',
      });
  }

  #refresh(event: SupervisorEventName): void {
    if (event in this.listening) {
      this.listening[event as keyof SafeEmitter['listening']] = this.#ee.listenerCount(event) > 0;
      const timed = this.listening.callSucceeded || this.listening.callFailed;
      if (timed !== this.timed) {
        this.timed = timed;
        this.#onTimed(timed);
      }
    }
  }
}
