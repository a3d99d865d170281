/**
 * The supervisor's side of a connection: a facade of the supervisor exposed with comlink on one
 * end of a MessageChannel. Each connection tracks its calls (aborted if the client goes away) and
 * its event subscriptions (removed when the port closes, so a dead client leaks no listener).
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { SupervisorEventName, SupervisorListener } from '../events.ts';
import { serializeError } from '../serialization/errors.ts';
import type { CallOptions, CircuitState, HealthReport, ServiceMetrics } from '../types.ts';
import {
  eventToWire,
  installTransferHandlers,
  type WireCall,
  type WireCallOptions,
  type WireResult,
} from './wire.ts';

/** What a connection needs of the supervisor (the Supervisor class has all of it). */
export interface RemoteTarget {
  call<R = unknown>(
    name: string,
    handler: string,
    args?: readonly unknown[],
    options?: CallOptions<R>,
  ): Promise<R>;
  state(name: string): CircuitState;
  metrics(name: string): ServiceMetrics;
  allMetrics(): Record<string, ServiceMetrics>;
  health(): HealthReport;
  services(): string[];
  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
  subscribe<E extends SupervisorEventName>(
    service: string,
    event: E,
    listener: SupervisorListener<E>,
  ): () => void;
}

/** A client-supplied listener, called through comlink. */
type RemoteListener = (payload: unknown) => unknown;

/** The object comlink exposes; its methods are what a client can ask. */
export class SupervisorFacade {
  readonly #sup: RemoteTarget;
  /** Calls whose client can abort them, by the client's abort id. */
  readonly #calls = new Map<number, AbortController>();
  /** Every call of this connection still running. */
  readonly #running = new Set<AbortController>();
  readonly #subscriptions = new Map<number, () => void>();
  #nextSubscription = 0;

  constructor(sup: RemoteTarget) {
    this.#sup = sup;
  }

  call(name: string, handler: string, call: WireCall, options: WireCallOptions): Promise<unknown> {
    const { abortId, timeoutMs } = options;
    // Every call gets a controller, not only those whose client passed a signal: when the client
    // goes away nobody can receive the result, so dispose() aborts them all and frees their slots.
    const controller = new AbortController();
    this.#running.add(controller);
    if (abortId !== undefined) this.#calls.set(abortId, controller);
    const run = this.#sup.call(name, handler, call.args, {
      signal: controller.signal,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(call.transfer.length === 0 ? {} : { transferList: call.transfer }),
    });
    return run.finally(() => {
      this.#running.delete(controller);
      if (abortId !== undefined) this.#calls.delete(abortId);
    });
  }

  async callResult(
    name: string,
    handler: string,
    call: WireCall,
    options: WireCallOptions,
  ): Promise<WireResult> {
    try {
      return { ok: true, value: await this.call(name, handler, call, options) };
    } catch (error) {
      return { ok: false, error: serializeError(error) };
    }
  }

  /** The client's signal aborted call `id`. */
  abort(id: number): void {
    this.#calls.get(id)?.abort();
  }

  state(name: string): CircuitState {
    return this.#sup.state(name);
  }

  metrics(name: string): ServiceMetrics {
    return this.#sup.metrics(name);
  }

  allMetrics(): Record<string, ServiceMetrics> {
    return this.#sup.allMetrics();
  }

  health(): HealthReport {
    return this.#sup.health();
  }

  services(): string[] {
    return this.#sup.services();
  }

  /** Forwards `event` (of one `service`, or all) to the client's listener; returns an id for unsubscribe(). */
  subscribe(event: SupervisorEventName, listener: RemoteListener, service?: string): number {
    const id = ++this.#nextSubscription;
    const forward = ((payload: unknown) => {
      // Fire and forget: a slow client must not hold up the supervisor's emit.
      void Promise.resolve(listener(eventToWire(payload))).catch(() => {});
    }) as SupervisorListener<SupervisorEventName>;
    if (service === undefined) {
      this.#sup.on(event, forward);
      this.#subscriptions.set(id, () => this.#sup.off(event, forward));
    } else {
      this.#subscriptions.set(id, this.#sup.subscribe(service, event, forward));
    }
    return id;
  }

  unsubscribe(id: number): void {
    this.#subscriptions.get(id)?.();
    this.#subscriptions.delete(id);
  }

  /** The client is gone: drop its listeners and abort its calls. */
  dispose(): void {
    for (const off of this.#subscriptions.values()) off();
    this.#subscriptions.clear();
    for (const controller of this.#running) controller.abort();
    this.#running.clear();
    this.#calls.clear();
  }
}

/** One exposed connection. */
export interface RemoteConnection {
  readonly closed: boolean;
  /** Closes the port: the client's pending calls reject with ERR_SUPERVISOR_CLOSED. */
  close(): void;
}

/**
 * Exposes `sup` on `port` (the supervisor's end of a channel). The port does not keep the
 * process alive. Call `close()` when the supervisor closes.
 */
export function exposeSupervisor(
  sup: RemoteTarget,
  port: MessagePort,
  onClose?: () => void,
): RemoteConnection {
  installTransferHandlers();
  const facade = new SupervisorFacade(sup);
  Comlink.expose(facade, port as unknown as Comlink.Endpoint);
  port.unref();
  let closed = false;
  const closing = (): void => {
    if (closed) return;
    closed = true;
    facade.dispose();
    onClose?.();
  };
  port.on('close', closing);
  return {
    get closed() {
      return closed;
    },
    close() {
      port.close();
      closing();
    },
  };
}

/**
 * Opens a connection to `sup`: the returned port goes to another thread (in `transferList`),
 * where `connectSupervisor(port)` makes a client. This is what `Supervisor.connect()` does.
 * `onClose` runs once when the connection closes, from either side.
 */
export function openConnection(
  sup: RemoteTarget,
  onClose?: () => void,
): { readonly port: MessagePort; readonly connection: RemoteConnection } {
  const { port1, port2 } = new MessageChannel();
  return { port: port2, connection: exposeSupervisor(sup, port1, onClose) };
}

/** A supervisor's open connections: each leaves the set when it closes, from either side. */
export class Connections {
  readonly #open = new Set<RemoteConnection>();

  /** Opens one more connection to `sup`; returns the port for the other thread (connect()). */
  open(sup: RemoteTarget): MessagePort {
    const { port, connection } = openConnection(sup, () => this.#open.delete(connection));
    this.#open.add(connection);
    return port;
  }

  /** Closes every open connection (the last step of close()). */
  closeAll(): void {
    for (const connection of [...this.#open]) connection.close();
  }
}
