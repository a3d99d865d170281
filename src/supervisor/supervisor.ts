/**
 * The public facade: one supervisor owns every breaker, keyed by service name (the GenServer of the
 * Elixir reference). Calls come in, the engine decides and records, events go out. Thin on purpose;
 * the machinery is in engine.ts, inline.ts and the pool executors.
 */

import type { MessagePort } from 'node:worker_threads';
import type { Admission } from '../core/breaker.ts';
import * as core from '../core/breaker.ts';
import {
  AlreadyRegisteredError,
  ErrorCode,
  invalidOption,
  NotPoolServiceError,
  SupervisorClosedError,
  UnknownServiceError,
} from '../errors.ts';
import type { SupervisorEventName, SupervisorListener } from '../events.ts';
import { mergeServiceOptions, resolveServiceOptions } from '../options.ts';
import { createPolicy } from '../policy/index.ts';
import { createPoolExecutor, resolvePoolOptions } from '../pool/index.ts';
import { openConnection, type RemoteConnection } from '../remote/expose.ts';
import type { Clock } from '../time/clock.ts';
import type {
  BreakerSnapshot,
  CallOptions,
  CircuitState,
  Fallback,
  HealthReport,
  Result,
  RunOptions,
  ServiceMetrics,
  ServiceOptions,
  SupervisorOptions,
  SupervisorSnapshot,
} from '../types.ts';
import { CALL_KEYS, checkCall } from './call-options.ts';
import { Engine, NO_FALLBACK } from './engine.ts';
import { runInline, runPlain, runTimed, type Work } from './inline.ts';
import { createServiceProxy, type ServiceProxy } from './proxy.ts';
import { rejectLater } from './reject-later.ts';
import { ServiceRecord } from './service.ts';
import { restoreRecord, takeSnapshot } from './snapshot.ts';
import { resolveCloseOptions, resolveSupervisorOptions } from './supervisor-options.ts';

export interface CloseOptions {
  /** Let running (and, for pools, queued) calls finish first. @default false */
  readonly drain?: boolean;
  /** Bound on draining; what is left then is rejected with ERR_SUPERVISOR_CLOSED. @default 30_000 */
  readonly timeoutMs?: number;
}

export class Supervisor implements AsyncDisposable {
  readonly #engine: Engine;
  readonly #services = new Map<string, ServiceRecord>();
  readonly #defaults: ServiceOptions | undefined;
  /** Saved breakers not yet claimed by a register(); each is applied once. */
  readonly #restore = new Map<string, BreakerSnapshot>();
  #closing: Promise<void> | undefined;
  /** The service of the last run(): a burst of calls to one service skips the Map lookup. */
  #last: ServiceRecord | undefined;
  /** Open cross-thread connections (connect()); closed last by close(). */
  readonly #connections = new Set<RemoteConnection>();
  /** Hot-path flag: not closing, and no listener wants every call timed. */
  #plain = true;

  constructor(options: SupervisorOptions = {}) {
    const o = resolveSupervisorOptions(options);
    this.#engine = new Engine(o.clock, o.logger, o.captureStacks, (timed) => {
      this.#plain = !timed && this.#closing === undefined;
    });
    this.#defaults = o.defaults;
    for (const [name, saved] of Object.entries(o.restore?.services ?? {})) this.#restore.set(name, saved);
  }

  /** The clock every breaker reads (the injected one, or the system clock). */
  get clock(): Clock {
    return this.#engine.clock;
  }

  /** True once close() has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Registers a service. With `worker`, its calls run in a piscina pool of that module; without,
   * `run()` calls the work inline. State saved in `options.restore` under this name comes back.
   */
  register<T = unknown>(name: string, options?: ServiceOptions<T>): this {
    if (typeof name !== 'string' || name.length === 0)
      throw invalidOption('type', 'name', 'a non-empty string', name);
    if (this.#closing !== undefined) throw new SupervisorClosedError(name);
    if (this.#services.has(name)) throw new AlreadyRegisteredError(name);
    const merged = mergeServiceOptions(this.#defaults, options as ServiceOptions | undefined);
    const resolved = resolveServiceOptions(merged, 'options');
    const poolOptions = resolvePoolOptions(merged, 'options');
    const e = this.#engine;
    const now = e.clock.now();
    const breaker = core.createBreaker(
      resolved.breaker,
      createPolicy(resolved.breaker.trip, 'options.breaker.trip'),
      now,
    );
    const executor =
      poolOptions === undefined
        ? undefined
        : createPoolExecutor(name, poolOptions, { clock: e.clock, logger: e.logger });
    const svc = new ServiceRecord(name, resolved, breaker, executor);
    const saved = this.#restore.get(name);
    let restored: core.Transition | null = null;
    if (saved !== undefined) {
      try {
        restored = restoreRecord(svc, saved, now, `options.restore.services.${name}`);
      } catch (error) {
        // Nothing half-registered: the name stays free and the saved state stays for a retry.
        void executor?.close({ drain: false, timeoutMs: 0 });
        throw error;
      }
    }
    this.#services.set(name, svc);
    if (saved !== undefined) this.#restore.delete(name);
    if (restored !== null) e.apply(svc, restored);
    e.emit('registered', { service: name, at: now, state: breaker.state });
    return this;
  }

  /** Removes a service: its timer is cancelled and its pool closed; late outcomes are dropped. */
  async unregister(name: string): Promise<void> {
    const svc = this.#get(name);
    this.#services.delete(name);
    if (this.#last === svc) this.#last = undefined;
    svc.detach();
    if (svc.timer !== undefined) this.#engine.scheduler.cancel(svc.timer);
    svc.timer = undefined;
    await svc.executor?.close({ drain: false, timeoutMs: 0 });
  }

  /**
   * Makes this supervisor reachable from another thread: send the returned port to it (in a
   * `transferList`) and call `connectSupervisor(port)` there for a typed client with `call`,
   * `state`, `metrics`, `health` and event subscription. The port does not keep the process
   * alive; close() closes it last (after draining), and the client's pending calls then reject
   * with ERR_SUPERVISOR_CLOSED.
   */
  connect(): MessagePort {
    if (this.#closing !== undefined) throw new SupervisorClosedError();
    const { port, connection } = openConnection(this, () => this.#connections.delete(connection));
    this.#connections.add(connection);
    return port;
  }

  has(name: string): boolean {
    return this.#services.has(name);
  }

  services(): string[] {
    return [...this.#services.keys()];
  }

  /** Runs `fn` inline through the service's breaker. Rejects with a typed error when it can't run. */
  run<T>(name: string, fn: Work<T>, options?: RunOptions<T>): Promise<T> {
    let svc = this.#last;
    if (svc === undefined || svc.name !== name) svc = this.#lookup(name);
    // The hot path, checked in one place: a plain inline call (no options, no signal wanted)
    // through a closed breaker, not sampled for latency this time; with or without the service's
    // call timeout.
    if (
      options === undefined &&
      svc !== undefined &&
      svc.fastInline &&
      svc.breaker.state === 'closed' &&
      this.#plain &&
      (fn === svc.plainFn || takesNoSignal(svc, fn)) &&
      --svc.sampleCountdown > 0
    ) {
      return svc.callTimeoutMs === 0 ? runPlain(this.#engine, svc, fn) : runTimed(this.#engine, svc, fn);
    }
    return this.#run(svc, name, fn, options);
  }

  #run<T>(
    svc: ServiceRecord | undefined,
    name: string,
    fn: Work<T>,
    options: RunOptions<T> | undefined,
  ): Promise<T> {
    if (typeof fn !== 'function' || options !== undefined) {
      const invalid = checkCall(fn, 'work', options);
      if (invalid !== undefined) return rejectLater(invalid);
    }
    if (svc === undefined || this.#closing !== undefined) return rejectLater(this.#missing(name));
    if (svc.breaker.state === 'closed') return runInline(this.#engine, svc, false, fn, options);
    const verdict = this.#engine.admitSlow(svc);
    if (verdict === 'admit' || verdict === 'probe')
      return runInline(this.#engine, svc, verdict === 'probe', fn, options);
    return this.#rejected(svc, verdict, options?.fallback ?? (svc.fallback as Fallback<T> | undefined));
  }

  /** Like run(), but never rejects: `{ ok: true, value } | { ok: false, error }`. */
  runResult<T>(name: string, fn: Work<T>, options?: RunOptions<T>): Promise<Result<T>> {
    if (typeof fn !== 'function' || options !== undefined) {
      const invalid = checkCall(fn, 'work', options);
      if (invalid !== undefined) return Promise.resolve({ ok: false, error: invalid });
    }
    const svc = this.#services.get(name);
    if (
      svc !== undefined &&
      this.#closing === undefined &&
      svc.breaker.state !== 'closed' &&
      options?.fallback === undefined &&
      svc.fallback === undefined
    ) {
      const verdict = this.#engine.admitSlow(svc);
      if (verdict !== 'admit' && verdict !== 'probe')
        return Promise.resolve(this.#engine.cachedRejection(svc, verdict));
      return toResult(runInline(this.#engine, svc, verdict === 'probe', fn, options));
    }
    return toResult(this.run(name, fn, options));
  }

  /** Calls `handler` (a named export of the service's worker module) in the service's pool. */
  call<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options?: CallOptions<R>,
  ): Promise<R> {
    if (typeof handler !== 'string' || handler === '' || !Array.isArray(args) || options !== undefined) {
      if (typeof handler !== 'string' || handler === '')
        return rejectLater(invalidOption('type', 'handler', 'a non-empty string', handler));
      if (!Array.isArray(args)) return rejectLater(invalidOption('type', 'args', 'an array', args));
      const invalid = checkCall(undefined, '', options, CALL_KEYS);
      if (invalid !== undefined) return rejectLater(invalid);
    }
    const svc = this.#services.get(name);
    if (svc === undefined || this.#closing !== undefined) return rejectLater(this.#missing(name));
    const executor = svc.executor;
    if (executor === undefined) return rejectLater(new NotPoolServiceError(name));
    const e = this.#engine;
    let probe = false;
    if (svc.breaker.state !== 'closed') {
      const verdict = e.admitSlow(svc);
      if (verdict !== 'admit' && verdict !== 'probe') {
        return this.#rejected(svc, verdict, options?.fallback ?? (svc.fallback as Fallback<R> | undefined));
      }
      probe = verdict === 'probe';
    }
    const gen = e.begin(svc);
    const start = e.startTime(svc);
    const fallback = options?.fallback ?? (svc.fallback as Fallback<R> | undefined);
    return executor
      .call({
        handler,
        args,
        timeoutMs: options?.timeoutMs ?? svc.options.breaker.callTimeoutMs,
        signal: options?.signal,
        transferList: options?.transferList,
      })
      .then(
        (value) => {
          e.succeeded(svc, gen, start);
          return value as R;
        },
        (error: unknown) => {
          const kind = e.errored(svc, gen, probe, start, error);
          const code = (error as { code?: unknown } | undefined)?.code;
          // The pool's own protections (bulkhead, queue wait) degrade like a breaker rejection.
          const rejectedByPool = code === ErrorCode.BulkheadFull || code === ErrorCode.QueueTimeout;
          if (kind === 'failure' || rejectedByPool) {
            const fb = e.fallbackFor(svc, fallback, rejectedByPool ? 'rejected' : 'failed', error);
            if (fb !== NO_FALLBACK) return fb as R | PromiseLike<R>;
          }
          throw error;
        },
      );
  }

  /** Like call(), but never rejects. */
  callResult<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options?: CallOptions<R>,
  ): Promise<Result<R>> {
    return toResult(this.call<R>(name, handler, args, options));
  }

  /** A typed proxy of a pool service: `sup.service<typeof import('./geo.js')>('geo').lookup('Paris')`. */
  service<M>(name: string): ServiceProxy<M> {
    this.#get(name);
    return createServiceProxy<M>((handler, args) => this.call(name, handler, args));
  }

  state(name: string): CircuitState {
    return this.#get(name).breaker.state;
  }

  metrics(name: string): ServiceMetrics {
    return this.#get(name).metrics(this.#engine.clock.now());
  }

  allMetrics(): Record<string, ServiceMetrics> {
    const now = this.#engine.clock.now();
    const out: Record<string, ServiceMetrics> = {};
    for (const [name, svc] of this.#services) setOwn(out, name, svc.metrics(now));
    return out;
  }

  /** `ok` when every service is healthy, `down` when none is, `degraded` in between. */
  health(): HealthReport {
    const now = this.#engine.clock.now();
    const services: Record<string, ReturnType<ServiceRecord['health']>> = {};
    let healthy = 0;
    for (const [name, svc] of this.#services) {
      const h = svc.health(now);
      setOwn(services, name, h);
      if (h.healthy) healthy++;
    }
    const n = this.#services.size;
    const status = healthy === n ? 'ok' : healthy === 0 ? 'down' : 'degraded';
    return { status, services };
  }

  /** Back to closed with a fresh window (event reason `manual`). */
  reset(name: string): void {
    this.#manual(name, core.reset);
  }

  /** Rejects every call until reset() (event reason `manual`). */
  forceOpen(name: string): void {
    this.#manual(name, core.forceOpen);
  }

  /** Admits every call and keeps measuring, never trips, until reset() (event reason `manual`). */
  disable(name: string): void {
    this.#manual(name, core.disable);
  }

  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#engine.emitter.on(event, listener);
    return this;
  }

  once<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#engine.emitter.on(event, listener, true);
    return this;
  }

  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): this {
    this.#engine.emitter.off(event, listener);
    return this;
  }

  /** Listens to one service's events; returns the function that unsubscribes. */
  subscribe<E extends SupervisorEventName>(
    service: string,
    event: E,
    listener: SupervisorListener<E>,
  ): () => void {
    const filtered = ((payload: { service?: string }) => {
      if (payload.service === service) (listener as (p: unknown) => void)(payload);
    }) as unknown as SupervisorListener<E>;
    this.#engine.emitter.on(event, filtered);
    return () => this.#engine.emitter.off(event, filtered);
  }

  /** Listeners currently attached to `event` (for leak checks). */
  listenerCount(event: SupervisorEventName): number {
    return this.#engine.emitter.listenerCount(event);
  }

  /** Versioned JSON of every breaker: state, generation, timers' due times, policy window, counters. */
  snapshot(): SupervisorSnapshot {
    return takeSnapshot(this.#services, this.#engine.clock.now());
  }

  /**
   * Stops the supervisor. New calls reject with ERR_SUPERVISOR_CLOSED at once. With `drain`,
   * admitted calls may finish within `timeoutMs`; then every call left is rejected, pools are
   * closed (no respawn), timers cancelled and listeners removed. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing === undefined) {
      let o: { drain: boolean; timeoutMs: number };
      try {
        o = resolveCloseOptions(options);
      } catch (error) {
        // Refused before anything changed: the supervisor stays open and a later close() works.
        return rejectLater(error);
      }
      this.#plain = false;
      this.#closing = this.#close(o.drain, o.timeoutMs);
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(drain: boolean, timeoutMs: number): Promise<void> {
    const e = this.#engine;
    const pools = [...this.#services.values()].flatMap((s) => (s.executor === undefined ? [] : [s.executor]));
    if (drain && timeoutMs > 0) {
      let timer: unknown;
      const bound = new Promise<void>((resolve) => {
        timer = e.clock.setTimeout(resolve, timeoutMs);
      });
      await Promise.race([
        Promise.all([
          e.whenIdle(() => this.#inFlight()),
          ...pools.map((p) => p.close({ drain: true, timeoutMs })),
        ]),
        bound,
      ]);
      e.clock.clearTimeout(timer);
    }
    for (const node of e.deadlines.takeAll()) node.shutdown();
    await Promise.all(pools.map((p) => p.close({ drain: false, timeoutMs: 0 })));
    for (const svc of this.#services.values()) {
      svc.detach();
      svc.timer = undefined;
    }
    e.scheduler.clear();
    for (const connection of [...this.#connections]) connection.close();
    e.emitter.removeAll();
  }

  #inFlight(): number {
    let n = 0;
    for (const svc of this.#services.values()) n += svc.inFlight;
    return n;
  }

  #lookup(name: string): ServiceRecord | undefined {
    const svc = this.#services.get(name);
    if (svc !== undefined) this.#last = svc;
    return svc;
  }

  #get(name: string): ServiceRecord {
    const svc = this.#services.get(name);
    if (svc === undefined) throw new UnknownServiceError(name);
    return svc;
  }

  #missing(name: string): Error {
    return this.#closing !== undefined ? new SupervisorClosedError(name) : new UnknownServiceError(name);
  }

  /** A call the breaker did not admit: its fallback's value, or the protection error. */
  #rejected<T>(svc: ServiceRecord, verdict: Admission, fallback: Fallback<T> | undefined): Promise<T> {
    const e = this.#engine;
    if (fallback === undefined) return rejectLater(e.rejectionError(svc, verdict));
    try {
      return Promise.resolve(
        e.fallbackFor(svc, fallback, 'rejected', () => e.rejectionError(svc, verdict)) as T | PromiseLike<T>,
      );
    } catch (fallbackError) {
      return rejectLater(fallbackError);
    }
  }

  #manual(name: string, op: (b: core.Breaker, now: number) => core.Transition | null): void {
    const svc = this.#get(name);
    const t = op(svc.breaker, this.#engine.clock.now());
    if (t !== null) this.#engine.apply(svc, t);
  }
}

/** Whether `fn` is work that declares no signal parameter; remembers it for the next call. */
function takesNoSignal(svc: ServiceRecord, fn: unknown): boolean {
  if (typeof fn !== 'function' || fn.length !== 0) return false;
  svc.plainFn = fn;
  return true;
}

/** `out[key] = value` that also works for a key like `__proto__` (an assignment would set the prototype). */
function setOwn<V>(out: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function toResult<T>(p: Promise<T>): Promise<Result<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}
