/**
 * A client of a supervisor that lives in another thread, over a port from `Supervisor.connect()`.
 * Calls go through comlink; typed errors keep their codes (wire.ts). Every pending call settles:
 * with its result, with ERR_ABORTED at once when its signal aborts, or with ERR_SUPERVISOR_CLOSED
 * when the connection closes from either side, never left hanging.
 */

import type { MessagePort, TransferListItem } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { checkPoolCall, REMOTE_KEYS } from '../call-checks.ts';
import { AbortedError, SupervisorClosedError } from '../errors.ts';
import type { SupervisorEventName, SupervisorListener } from '../events.ts';
import { createServiceProxy, type ServiceProxy } from '../proxy.ts';
import { deserializeError } from '../serialization/errors.ts';
import type { CircuitState, HealthReport, Result, ServiceMetrics } from '../types.ts';
import type { SupervisorFacade } from './expose.ts';
import { eventFromWire, installTransferHandlers, type WireCall, type WireResult } from './wire.ts';

/** Options of a remote call. Fallbacks are functions and stay in the caller's thread: use `callResult`. */
export interface RemoteCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
  /** Moved (not copied) to the supervisor's thread, then on to the pool's worker. */
  readonly transferList?: readonly TransferListItem[] | undefined;
}

export interface SupervisorClient {
  call<R = unknown>(
    name: string,
    handler: string,
    args?: readonly unknown[],
    options?: RemoteCallOptions,
  ): Promise<R>;
  /** Like `call`, but never rejects. */
  callResult<R = unknown>(
    name: string,
    handler: string,
    args?: readonly unknown[],
    options?: RemoteCallOptions,
  ): Promise<Result<R>>;
  /** A typed proxy of a pool service, as `Supervisor.service()`. */
  service<M>(name: string): ServiceProxy<M>;
  state(name: string): Promise<CircuitState>;
  metrics(name: string): Promise<ServiceMetrics>;
  allMetrics(): Promise<Record<string, ServiceMetrics>>;
  health(): Promise<HealthReport>;
  services(): Promise<string[]>;
  /**
   * Listens to the supervisor's `event` (of one `service`, or all). Resolves once subscribed,
   * with the function that unsubscribes.
   */
  on<E extends SupervisorEventName>(
    event: E,
    listener: SupervisorListener<E>,
    service?: string,
  ): Promise<() => Promise<void>>;
  readonly closed: boolean;
  /** Closes the connection; pending calls reject with ERR_SUPERVISOR_CLOSED. */
  close(): void;
}

/** Makes a client from the port `Supervisor.connect()` returned (sent to this thread). */
export function connectSupervisor(port: MessagePort): SupervisorClient {
  installTransferHandlers();
  return new Client(port);
}

interface Pending {
  readonly reject: (error: unknown) => void;
}

class Client implements SupervisorClient {
  readonly #port: MessagePort;
  readonly #remote: Comlink.Remote<SupervisorFacade>;
  readonly #pending = new Set<Pending>();
  #nextAbortId = 0;
  #closed = false;

  constructor(port: MessagePort) {
    this.#port = port;
    this.#remote = Comlink.wrap<SupervisorFacade>(port as unknown as Comlink.Endpoint);
    // Idle, the connection lets this thread exit; with calls pending it keeps it alive.
    port.unref();
    port.on('close', () => this.#onClose());
  }

  get closed(): boolean {
    return this.#closed;
  }

  call<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options: RemoteCallOptions = {},
  ): Promise<R> {
    return this.#request('call', name, handler, args, options) as Promise<R>;
  }

  callResult<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options: RemoteCallOptions = {},
  ): Promise<Result<R>> {
    return (this.#request('callResult', name, handler, args, options) as Promise<WireResult>).then(
      (r): Result<R> =>
        r.ok ? { ok: true, value: r.value as R } : { ok: false, error: deserializeError(r.error) },
      (error: unknown): Result<R> => ({ ok: false, error }),
    );
  }

  service<M>(name: string): ServiceProxy<M> {
    return createServiceProxy<M>((handler, args) => this.call(name, handler, args));
  }

  state(name: string): Promise<CircuitState> {
    return this.#track(() => this.#remote.state(name) as Promise<CircuitState>);
  }

  metrics(name: string): Promise<ServiceMetrics> {
    return this.#track(() => this.#remote.metrics(name) as Promise<ServiceMetrics>);
  }

  allMetrics(): Promise<Record<string, ServiceMetrics>> {
    return this.#track(() => this.#remote.allMetrics() as Promise<Record<string, ServiceMetrics>>);
  }

  health(): Promise<HealthReport> {
    return this.#track(() => this.#remote.health() as Promise<HealthReport>);
  }

  services(): Promise<string[]> {
    return this.#track(() => this.#remote.services() as Promise<string[]>);
  }

  async on<E extends SupervisorEventName>(
    event: E,
    listener: SupervisorListener<E>,
    service?: string,
  ): Promise<() => Promise<void>> {
    const forward = Comlink.proxy((payload: unknown) => {
      (listener as (p: unknown) => void)(eventFromWire(payload));
    });
    const id = await this.#track(() => this.#remote.subscribe(event, forward, service) as Promise<number>);
    return () => this.#track(() => this.#remote.unsubscribe(id) as Promise<void>);
  }

  close(): void {
    this.#port.close();
    this.#onClose();
  }

  /** Sends a call; its arguments travel in one object so a transfer list can move what they hold. */
  #request(
    method: 'call' | 'callResult',
    name: string,
    handler: string,
    args: readonly unknown[],
    options: RemoteCallOptions,
  ): Promise<unknown> {
    // Checked here, in the caller's thread: a typo must not be dropped on the way to the supervisor.
    const invalid = checkPoolCall(handler, args, options, REMOTE_KEYS);
    if (invalid !== undefined) return Promise.reject(invalid);
    const { signal, timeoutMs, transferList } = options;
    if (signal?.aborted === true) return Promise.reject(new AbortedError(name));
    const abortId = signal === undefined ? undefined : ++this.#nextAbortId;
    const wire: WireCall = { args, transfer: transferList ?? [] };
    const sent = transferList === undefined ? wire : Comlink.transfer(wire, [...transferList]);
    return this.#track(
      () => this.#remote[method](name, handler, sent, { abortId, timeoutMs }) as Promise<unknown>,
      name,
      signal,
      abortId,
    );
  }

  /** Sends a request and keeps it settleable: abort and connection loss reject it at once. */
  #track<T>(send: () => Promise<T>, name?: string, signal?: AbortSignal, abortId?: number): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return new Promise<T>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const entry: Pending = { reject };
      const done = (): void => {
        this.#pending.delete(entry);
        if (this.#pending.size === 0 && !this.#closed) this.#port.unref();
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      };
      if (signal !== undefined && abortId !== undefined) {
        onAbort = () => {
          done();
          reject(new AbortedError(name));
          void Promise.resolve(this.#remote.abort(abortId)).catch(() => {});
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
      this.#pending.add(entry);
      if (this.#pending.size === 1) this.#port.ref();
      send().then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const p of pending) p.reject(closedError());
  }
}

function closedError(): SupervisorClosedError {
  return new SupervisorClosedError(undefined, {
    cause: new Error('the connection to the supervisor was closed'),
  });
}
