/**
 * The Supervisor's event methods (on, once, off, subscribe, listenerCount), as its base class. They
 * hand listeners to the supervisor's one emitter (emitter.ts), which wraps each so a throwing
 * listener can't stop the others. The emitter's own type stays internal: this class knows it only
 * as a `ListenerTable`, written in public types, so the declarations never name the emitter.
 */
import type { SupervisorEventName, SupervisorListener } from '../events.ts';

/** What the event methods use of the emitter (emitter.ts's SafeEmitter is one). */
export interface ListenerTable {
  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>, once?: boolean): void;
  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): void;
  subscribe<E extends SupervisorEventName>(
    service: string,
    event: E,
    listener: SupervisorListener<E>,
  ): () => void;
  listenerCount(event: SupervisorEventName): number;
}

export class SupervisorEventSource {
  readonly #listeners: ListenerTable;

  protected constructor(listeners: ListenerTable) {
    this.#listeners = listeners;
  }

  /** Listens to `event` of every service until off(); a listener that throws can't disturb the others. */
  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#listeners.on(event, listener);
    return this;
  }

  /** Like on(), for the next `event` only. */
  once<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#listeners.on(event, listener, true);
    return this;
  }

  /** Removes a listener added with on() or once() for `event`. */
  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#listeners.off(event, listener);
    return this;
  }

  /** Listens to one service's events; returns the function that unsubscribes. */
  subscribe<E extends SupervisorEventName>(
    service: string,
    event: E,
    listener: SupervisorListener<E>,
  ): () => void {
    return this.#listeners.subscribe(service, event, listener);
  }

  /** Listeners currently attached to `event` (for leak checks). */
  listenerCount(event: SupervisorEventName): number {
    return this.#listeners.listenerCount(event);
  }
}
