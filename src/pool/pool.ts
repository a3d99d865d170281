/**
 * A service's worker pool, the `PoolExecutor` the supervisor routes calls to. This file is the
 * facade: it wires the parts, admits calls (validation, unknown handlers, arguments that can't be
 * cloned, load backoff, bulkhead), reports metrics and health, and closes. Data flows one way:
 * caller -> dispatcher.ts (queue, timers, settlement) -> lanes.ts (batches to threads) -> the
 * worker runtime -> lanes.ts -> dispatcher.ts -> caller; host.ts keeps the threads (piscina) and
 * thread-registry.ts follows each one to its exit.
 */
import {
  AbortedError,
  BulkheadFullError,
  invalidOption,
  NotCloneableError,
  SupervisorClosedError,
  UnknownHandlerError,
} from '../errors.ts';
import { whyNotCloneable } from '../serialization/cloneable.ts';
import type { Clock } from '../time/clock.ts';
import { Deadlines } from '../time/deadlines.ts';
import { Scheduler } from '../time/scheduler.ts';
import type { Logger, PoolMetrics } from '../types.ts';
import { PoolCall, SlotTable } from './call.ts';
import { CallTimers } from './call-timers.ts';
import { Dispatcher } from './dispatcher.ts';
import { type HostEvents, PoolHost } from './host.ts';
import { placeLane } from './lane.ts';
import { type BatchPolicy, Lanes } from './lanes.ts';
import type { ResolvedPoolOptions } from './options.ts';
import { TERMINATE_GRACE_MS, type ThreadState } from './threads.ts';
import type { ExecRequest, PoolDeps, PoolExecutor } from './types.ts';

/** Creates the worker pool of one service. Its first threads (`threads.min`) start at once. */
export function createPoolExecutor(
  service: string,
  options: ResolvedPoolOptions,
  deps: PoolDeps,
): PoolExecutor {
  return new Pool(service, options, deps);
}

class Pool implements PoolExecutor, HostEvents {
  readonly #service: string;
  readonly #maxQueue: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #scheduler: Scheduler;
  readonly #deadlines: Deadlines;
  readonly #dispatcher: Dispatcher;
  readonly #lanes: Lanes;
  readonly #host: PoolHost;
  /** Every call's owner: what its timers and abort mean when they fire. */
  readonly #timers: CallTimers;
  #handlers: ReadonlySet<string> | undefined;
  #closing: Promise<void> | undefined;

  constructor(service: string, options: ResolvedPoolOptions, deps: PoolDeps) {
    this.#service = service;
    this.#maxQueue = options.maxQueue;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#scheduler = new Scheduler(deps.clock);
    this.#deadlines = new Deadlines(deps.clock, this.#scheduler);
    const policy: BatchPolicy =
      options.batching === undefined
        ? { kind: 'adaptive', concurrency: options.concurrentTasksPerWorker }
        : { kind: 'batched', maxBatch: options.batching.maxBatch };
    const slots = new SlotTable(Lanes.slotsNeeded(policy, options.maxThreads));
    this.#host = new PoolHost({
      service,
      options,
      scheduler: this.#scheduler,
      now: () => this.#clock.now(),
      logger: deps.logger,
      data: { module: options.worker.href, marks: slots.buffer },
      placeLane,
      events: this,
    });
    const dispatcher = new Dispatcher({
      service,
      host: this.#host,
      slots,
      deadlines: this.#deadlines,
      queueTimeoutMs: options.queueTimeoutMs,
      abortGraceMs: options.abortGraceMs,
    });
    this.#dispatcher = dispatcher;
    const lanes = new Lanes({
      sink: dispatcher,
      threads: this.#host.threads,
      slots,
      policy,
      minThreads: options.minThreads,
      maxThreads: options.maxThreads,
      idleTimeoutMs: options.idleTimeoutMs,
      clock: deps.clock,
      scheduler: this.#scheduler,
    });
    this.#lanes = lanes;
    dispatcher.attach(lanes);
    this.#timers = new CallTimers({
      service,
      queueTimeoutMs: options.queueTimeoutMs,
      slots,
      retirement: lanes.retirement,
      settler: dispatcher,
    });
    dispatcher.pump();
  }

  call(request: ExecRequest): Promise<unknown> {
    const service = this.#service;
    const dispatcher = this.#dispatcher;
    if (this.#closing !== undefined) return Promise.reject(new SupervisorClosedError(service));
    const { handler, args } = request;
    if (typeof handler !== 'string' || handler === '') {
      return Promise.reject(invalidOption('type', 'handler', 'a non-empty string', handler));
    }
    if (!Array.isArray(args)) return Promise.reject(invalidOption('type', 'args', 'an array', args));
    const { transferList } = request;
    if (transferList !== undefined && !Array.isArray(transferList)) {
      return Promise.reject(invalidOption('type', 'transferList', 'an array', transferList));
    }
    if (this.#handlers !== undefined && !this.#handlers.has(handler)) {
      return Promise.reject(new UnknownHandlerError(service, handler));
    }
    const why = whyNotCloneable(args, false, transferList);
    if (why !== undefined) {
      const message = `arguments of "${handler}" can't be sent to a worker: ${why}`;
      return Promise.reject(new NotCloneableError(service, message));
    }
    if (request.signal?.aborted === true) return Promise.reject(new AbortedError(service));
    if (this.#host.current() === undefined) return Promise.reject(this.#host.loadFailureError());
    const now = dispatcher.queue.size === 0 && dispatcher.canSend();
    // A call that will wait (in our queue, or in a thread's inbox behind busy calls) needs room.
    if (this.#maxQueue !== Number.POSITIVE_INFINITY) {
      const queued = dispatcher.queue.size;
      const waits = this.#lanes.capacity.idleCapacity() <= queued;
      if (waits && queued + this.#lanes.capacity.prefetched() >= this.#maxQueue) {
        return Promise.reject(new BulkheadFullError(service, this.#maxQueue));
      }
    }
    const call = new PoolCall(this.#timers, request);
    dispatcher.admit(call, now);
    return call.promise;
  }

  metrics(): PoolMetrics {
    const threads = this.#host.threads;
    const dispatcher = this.#dispatcher;
    const { running, waiting } = this.#lanes.capacity.load();
    return {
      threads: threads.count,
      retiring: this.#lanes.capacity.retiring,
      queued: dispatcher.queue.size + waiting,
      running,
      utilization: this.#lanes.capacity.utilization(),
      restarts: threads.restarts,
      crashes: threads.crashes,
      terminations: threads.terminations,
      retirements: this.#lanes.retirement.count,
      broken: threads.stuckThreads > 0,
    };
  }

  health(): { readonly healthy: boolean; readonly message: string } {
    const host = this.#host;
    if (this.#dispatcher.closed) return { healthy: false, message: 'worker pool is closed' };
    const stuck = host.threads.stuckThreads;
    if (stuck > 0) {
      const message = `worker pool is broken: ${stuck} thread(s) did not stop after terminate()`;
      return { healthy: false, message };
    }
    if (host.loadFailures > 0) {
      const wait = Math.max(0, host.retryAt - this.#clock.now());
      const why = host.loadError instanceof Error ? host.loadError.message : String(host.loadError);
      const message = `worker module failed to load (${host.loadFailures}x): ${why}; next attempt in ${wait} ms`;
      return { healthy: false, message };
    }
    const m = this.metrics();
    return { healthy: true, message: `${m.threads} thread(s), ${m.running} running, ${m.queued} queued` };
  }

  close(options: { readonly drain: boolean; readonly timeoutMs: number }): Promise<void> {
    if (this.#closing !== undefined) {
      // A second, harder close (the supervisor's "drain, then force") ends the drain now.
      if (!options.drain) this.#dispatcher.onDrained?.();
      return this.#closing;
    }
    this.#closing = this.#close(options.drain, options.timeoutMs);
    return this.#closing;
  }

  // ---------------------------------------------------------------- threads (HostEvents)

  threadsChanged(): void {
    if (!this.#dispatcher.closed) this.#dispatcher.pump();
  }

  threadExited(thread: ThreadState): void {
    this.#lanes.threadExited(thread);
  }

  loaded(handlers: readonly string[]): void {
    this.#handlers = new Set(handlers);
  }

  loadFailed(error: unknown): void {
    // Nothing can run until the backoff ends: waiting calls fail now rather than time out later.
    this.#dispatcher.failQueued(() => this.#host.loadFailureError(error));
  }

  // ---------------------------------------------------------------- close

  async #close(drain: boolean, timeoutMs: number): Promise<void> {
    const dispatcher = this.#dispatcher;
    const closed = (): SupervisorClosedError => new SupervisorClosedError(this.#service);
    if (drain && timeoutMs > 0 && (dispatcher.queue.size > 0 || dispatcher.slots.used > 0)) {
      // No thread starts while draining (the dispatcher grows no lane), so none replaces one that dies.
      dispatcher.draining = true;
      await this.#bounded(
        new Promise<void>((resolve) => {
          dispatcher.onDrained = resolve;
          dispatcher.pump();
        }),
        timeoutMs,
      );
      dispatcher.onDrained = undefined;
    }
    dispatcher.closed = true;
    dispatcher.failQueued(closed);
    dispatcher.failSent(closed);
    this.#lanes.close();
    await this.#bounded(this.#host.stop('close'), TERMINATE_GRACE_MS);
    const threads = this.#host.threads.count;
    if (threads > 0) {
      this.#logger?.error({ service: this.#service, threads }, 'worker threads did not exit after close()');
    }
    this.#deadlines.takeAll();
    this.#scheduler.clear();
  }

  /** `p`, or nothing after `ms` (clock time), whichever comes first. */
  async #bounded(p: Promise<void>, ms: number): Promise<void> {
    let timer: unknown;
    const bound = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, ms);
    });
    await Promise.race([p, bound]);
    this.#clock.clearTimeout(timer);
  }
}
