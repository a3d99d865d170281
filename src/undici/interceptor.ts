/**
 * `breakerInterceptor()`: an undici interceptor that sends each request through a supervisor's
 * breaker. One request is one `run()` of the key's service whose work lasts until the answer
 * *starts* (status and headers) or the request fails before that; the verdict is made then:
 * a failure status (5xx by default) or an error (connection refused or reset, undici's
 * headers timeout, the service's `callTimeoutMs`, the caller's abort) counts as a failure,
 * anything else as a success. The body is then passed through chunk by chunk as undici delivers
 * it: the interceptor never buffers or reads it, so streaming and backpressure are untouched.
 * A request the breaker doesn't admit never reaches the upstream: its caller gets the typed
 * rejection (ERR_CIRCUIT_OPEN, ERR_HALF_OPEN_FULL, ...) as the request's error, or the service's
 * fallback as a made-up response.
 */
import type { Dispatcher } from 'undici';
import { isCallTimeoutError, isUnknownServiceError } from '../errors.ts';
import { type BreakerInterceptorOptions, resolveInterceptorOptions } from './options.ts';
import { answerError, answerFallback, FailureStatusError } from './response.ts';
import { KeyedServices } from './services.ts';

/** An interceptor for `agent.compose(...)`, plus a view of the services it keeps. */
export interface BreakerInterceptor extends Dispatcher.DispatcherComposeInterceptor {
  /** How many per-key services the interceptor registered and keeps (at most `maxServices`). */
  readonly services: number;
}

/**
 * Makes the interceptor: `new Agent().compose(breakerInterceptor({ supervisor }))`, then
 * `fetch(url, { dispatcher })` or `request(url, { dispatcher })`. Validates its options at once
 * (ERR_INVALID_OPTION naming the field).
 */
export function breakerInterceptor(options: BreakerInterceptorOptions): BreakerInterceptor {
  const o = resolveInterceptorOptions(options);
  const services = new KeyedServices(o);
  const interceptor = (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch =>
    function breakerDispatch(
      request: Dispatcher.DispatchOptions,
      handler: Dispatcher.DispatchHandler,
    ): boolean {
      let key: string;
      let name: string;
      try {
        key = o.key(request);
        name = services.nameFor(key);
      } catch (error) {
        // A key function that throws or a register() that refuses (closed supervisor, bad template).
        queueMicrotask(() => answerError(handler, toError(error)));
        return true;
      }
      // The request's handler exists only once the breaker admits it: inline work runs inside
      // run() or never, so a rejection (the open circuit) allocates none of it.
      const admitted: { call: BreakerCall | undefined } = { call: undefined };
      const settled = o.supervisor.run(name, () => {
        const call = new BreakerCall(dispatch, request, handler, name, o.isFailureStatus);
        admitted.call = call;
        return call.start();
      });
      const call = admitted.call;
      if (call !== undefined) {
        settled.then(undefined, (error: unknown) => call.onRunRejected(error));
        return call.dispatched;
      }
      settled.then(
        (value) => answerFallback(handler, request, value, name),
        (error: unknown) => {
          if (isUnknownServiceError(error)) services.forget(key);
          answerError(handler, toError(error));
        },
      );
      return true;
    };
  return Object.defineProperty(interceptor, 'services', { get: () => services.size }) as BreakerInterceptor;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * One admitted request: the handler between undici and the caller's handler. It forwards every
 * callback unchanged and settles the breaker's work once, at the start of the answer or at an
 * error before it.
 */
class BreakerCall implements Dispatcher.DispatchHandler {
  dispatched = true;
  #resolve: ((value: undefined) => void) | undefined;
  #reject: ((error: unknown) => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  /** An abort asked for (by the breaker's timeout) before undici handed over its controller. */
  #pendingAbort: Error | undefined;
  readonly #dispatch: Dispatcher.Dispatch;
  readonly #request: Dispatcher.DispatchOptions;
  readonly #handler: Dispatcher.DispatchHandler;
  readonly #service: string;
  readonly #isFailureStatus: (statusCode: number) => boolean;

  constructor(
    dispatch: Dispatcher.Dispatch,
    request: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
    service: string,
    isFailureStatus: (statusCode: number) => boolean,
  ) {
    this.#dispatch = dispatch;
    this.#request = request;
    this.#handler = handler;
    this.#service = service;
    this.#isFailureStatus = isFailureStatus;
  }

  /** Sends the request: the work run() admits, settled when the answer starts. Takes no signal. */
  start(): Promise<undefined> {
    return new Promise<undefined>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      try {
        this.dispatched = this.#dispatch(this.#request, this);
      } catch (error) {
        // undici refused the request itself (bad options): not the service's failure.
        this.#settle(undefined);
        queueMicrotask(() => answerError(this.#handler, toError(error)));
      }
    });
  }

  /** The breaker gave up on the request (its call timeout; close()): stop it with that error. */
  onRunRejected(error: unknown): void {
    if (!isCallTimeoutError(error) && (error as { code?: unknown })?.code !== 'ERR_SUPERVISOR_CLOSED') return;
    const reason = toError(error);
    if (this.#controller === undefined) this.#pendingAbort = reason;
    else if (!this.#controller.aborted) this.#controller.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.#controller = controller;
    if (this.#pendingAbort !== undefined) controller.abort(this.#pendingAbort);
    this.#handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[2],
    socket: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>[3],
  ): void {
    this.#settle(undefined);
    this.#handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>[2],
    statusMessage?: string,
  ): void {
    if (this.#isFailureStatus(statusCode)) this.#settle(new FailureStatusError(this.#service, statusCode));
    else this.#settle(undefined);
    this.#handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(
    controller: Dispatcher.DispatchController,
    trailers: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>[1],
  ): void {
    this.#handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    // Before the answer started this is the request's outcome; after, the verdict is already in.
    this.#settle(error);
    this.#handler.onResponseError?.(controller, error);
  }

  /** Settles the breaker's work once: `undefined` is a success, an error a (possible) failure. */
  #settle(error: Error | undefined): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve === undefined || reject === undefined) return;
    this.#resolve = undefined;
    this.#reject = undefined;
    if (error === undefined) resolve(undefined);
    else reject(error);
  }
}
