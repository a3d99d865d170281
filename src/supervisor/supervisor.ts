/**
 * The public facade: one supervisor owns every breaker, keyed by service name (the GenServer of the
 * Elixir reference). It looks a service up and delegates: calls to the pipeline (pipeline.ts; its
 * hot-path shortcut in fast-path.ts), registration to register.ts, manual controls to control.ts,
 * reads to reads.ts, close() to shutdown.ts. Its parts are built in assemble.ts; its event methods
 * are its base class's (event-source.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { SupervisorClosedError } from '../errors.ts';
import type { Fleet, FleetStatus } from '../fleet/types.ts';
import { createServiceProxy, type ServiceProxy } from '../proxy.ts';
import { Connections } from '../remote/expose.ts';
import type { Clock } from '../time/clock.ts';
import type * as T from '../types.ts';
import { attachParts, buildParts } from './assemble.ts';
import { manualControl } from './control.ts';
import type { Engine } from './engine.ts';
import { SupervisorEventSource } from './event-source.ts';
import { fastRun } from './fast-path.ts';
import type { Work } from './inline.ts';
import { pipelineCall, pipelineRun, pipelineRunResult, toResult } from './pipeline.ts';
import { allMetrics, healthReport } from './reads.ts';
import type { Registry } from './register.ts';
import { rejectLater } from './reject-later.ts';
import { closeSupervisor } from './shutdown.ts';
import { takeSnapshot } from './snapshot.ts';
import type { CloseOptions } from './supervisor-options.ts';

export class Supervisor extends SupervisorEventSource implements AsyncDisposable {
  readonly #e: Engine;
  readonly #r: Registry;
  #closing: Promise<void> | undefined;
  /** Open cross-thread connections (connect()); closed last by close(). */
  readonly #connections = new Connections();
  /** Fleet mode (breakwater/redis): hears of transitions through the hooks, never on a call's path. */
  readonly #fleet: Fleet | undefined;

  constructor(options: T.SupervisorOptions = {}) {
    const parts = buildParts(options);
    super(parts.engine.emitter);
    ({ engine: this.#e, registry: this.#r, fleet: this.#fleet } = parts);
    attachParts(this, parts);
  }

  /** The clock every breaker reads (the injected one, or the system clock). */
  get clock(): Clock {
    return this.#e.clock;
  }

  /** True once close() has been called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Registers a service. With `worker`, its calls run in a piscina pool of that module; without,
   * `run()` calls the work inline. State saved in `options.restore` under this name comes back.
   */
  register<R = unknown>(name: string, options?: T.ServiceOptions<R>): this {
    this.#r.register(name, options as T.ServiceOptions | undefined, this.#closing !== undefined);
    return this;
  }

  /** Removes a service: its timer is cancelled and its pool closed; late outcomes are dropped. */
  unregister(name: string): Promise<void> {
    return this.#r.unregister(name);
  }

  /**
   * Makes this supervisor reachable from another thread: send the returned port to it (in a
   * `transferList`) and call `connectSupervisor(port)` there. The port does not keep the process
   * alive; close() closes it last (after draining), and the client's pending calls then reject.
   */
  connect(): MessagePort {
    if (this.#closing !== undefined) throw new SupervisorClosedError();
    return this.#connections.open(this);
  }

  /** True when a service of this name is registered (and not unregistered since). */
  has(name: string): boolean {
    return this.#r.services.has(name);
  }

  /** Names of the registered services, in registration order (a fresh array). */
  services(): string[] {
    return [...this.#r.services.keys()];
  }

  /** Runs `fn` inline through the service's breaker. Rejects with a typed error when it can't run. */
  run<R>(name: string, fn: Work<R>, options?: T.RunOptions<R>): Promise<R> {
    let svc = this.#r.last;
    if (svc === undefined || svc.name !== name) svc = this.#r.lookup(name);
    return fastRun(this.#e, svc, fn, options) ?? pipelineRun(this.#e, name, svc, fn, options);
  }

  /** Like run(), but never rejects: `{ ok: true, value } | { ok: false, error }`. */
  runResult<R>(name: string, fn: Work<R>, options?: T.RunOptions<R>): Promise<T.Result<R>> {
    const svc = this.#r.services.get(name);
    const fast = fastRun(this.#e, svc, fn, options);
    return fast !== undefined ? toResult(fast) : pipelineRunResult(this.#e, name, svc, fn, options);
  }

  /** Calls `handler` (a named export of the service's worker module) in the service's pool. */
  call<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options?: T.CallOptions<R>,
  ): Promise<R> {
    return pipelineCall(this.#e, name, this.#r.services.get(name), handler, args, options);
  }

  /** Like call(), but never rejects. */
  callResult<R = unknown>(
    name: string,
    handler: string,
    args: readonly unknown[] = [],
    options?: T.CallOptions<R>,
  ): Promise<T.Result<R>> {
    return toResult(this.call<R>(name, handler, args, options));
  }

  /** A typed proxy of a pool service: `sup.service<typeof import('./geo.js')>('geo').lookup('Paris')`. */
  service<M>(name: string): ServiceProxy<M> {
    this.#r.get(name);
    return createServiceProxy<M>((handler, args) => this.call(name, handler, args));
  }

  state(name: string): T.CircuitState {
    return this.#r.get(name).breaker.state;
  }

  metrics(name: string): T.ServiceMetrics {
    return this.#r.get(name).metrics(this.#e.clock.now());
  }

  /**
   * `metrics(name)` without the response-time figures (avg, p50, p99), which cost a histogram walk
   * each: for readers that go over every service often (the admin server's /metrics, OpenTelemetry).
   */
  counters(name: string): T.ServiceCounters {
    return this.#r.get(name).counters(this.#e.clock.now());
  }

  allMetrics(): Record<string, T.ServiceMetrics> {
    return allMetrics(this.#r.services, this.#e.clock.now());
  }

  /** `ok` when every service is healthy, `down` when none is, `degraded` in between. */
  health(): T.HealthReport {
    return healthReport(this.#r.services, this.#e.clock.now());
  }

  /**
   * Back to closed with a fresh window (event reason `manual`). `{ scope: 'fleet' }` resets the
   * service on every node of the fleet too (their event reason: `fleet`); on a service registered
   * with `fleet: false` it throws ERR_INVALID_OPTION and changes nothing (also forceOpen, disable).
   */
  reset(name: string, options?: T.ManualOptions): void {
    manualControl(this.#e, this.#r, this.#fleet, name, 'reset', options);
  }

  /** Rejects every call until reset() (event reason `manual`); `{ scope: 'fleet' }`: on every node. */
  forceOpen(name: string, options?: T.ManualOptions): void {
    manualControl(this.#e, this.#r, this.#fleet, name, 'force-open', options);
  }

  /**
   * Admits every call and keeps measuring, never trips, until reset() (event reason `manual`);
   * `{ scope: 'fleet' }`: on every node.
   */
  disable(name: string, options?: T.ManualOptions): void {
    manualControl(this.#e, this.#r, this.#fleet, name, 'disable', options);
  }

  /** Fleet mode: connection, lag, last error, peers seen, counters; `undefined` without a fleet. */
  fleetStatus(): FleetStatus | undefined {
    return this.#fleet?.status();
  }

  /** Versioned JSON of every breaker: state, generation, timers' due times, policy window, counters. */
  snapshot(): T.SupervisorSnapshot {
    return takeSnapshot(this.#r.services, this.#e.clock.now());
  }

  /**
   * Stops the supervisor: new calls reject with ERR_SUPERVISOR_CLOSED at once; with `drain`,
   * admitted calls may finish within `timeoutMs`, then the rest are given up (shutdown.ts).
   * Idempotent. Bad options reject before anything changes.
   */
  close(options: CloseOptions = {}): Promise<void> {
    try {
      this.#closing ??= closeSupervisor(this.#e, this.#r.services, this.#connections, this.#fleet, options);
    } catch (error) {
      return rejectLater(error);
    }
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
