/**
 * A service's worker pool, the `PoolExecutor` the supervisor routes calls to. This file is the
 * facade: it wires the parts, admits calls (validation, unknown handlers, arguments that can't be
 * cloned, load backoff, bulkhead), reports metrics and health, and closes. Threads are piscina's
 * (host.ts); what happens to an admitted call is flow.ts; how it reaches a thread is the engine's
 * (task-engine.ts: one piscina task per call; lane-engine.ts: batching mode).
 */
import { randomUUID } from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
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
import type { Engine } from './engine.ts';
import { CallFlow } from './flow.ts';
import { type HostEvents, PoolHost } from './host.ts';
import { LaneEngine } from './lane-engine.ts';
import type { ResolvedPoolOptions } from './options.ts';
import { TaskEngine } from './task-engine.ts';
import { TERMINATE_GRACE_MS, type ThreadState } from './threads.ts';
import type { ExecRequest, PoolDeps, PoolExecutor } from './types.ts';

/** Creates the worker pool of one service. Its first threads (`threads.min`) start at once. */
export function createPoolExecutor(
  service: string,
  options: ResolvedPoolOptions,
  deps: PoolDeps,
): PoolExecutor {
  return new Executor(service, options, deps);
}

class Executor implements PoolExecutor, HostEvents {
  readonly #service: string;
  readonly #maxQueue: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #scheduler: Scheduler;
  readonly #deadlines: Deadlines;
  readonly #flow: CallFlow;
  readonly #cancels: BroadcastChannel;
  readonly #engine: Engine;
  readonly #host: PoolHost;
  #handlers: ReadonlySet<string> | undefined;
  #closing: Promise<void> | undefined;

  constructor(service: string, options: ResolvedPoolOptions, deps: PoolDeps) {
    this.#service = service;
    this.#maxQueue = options.maxQueue;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#scheduler = new Scheduler(deps.clock);
    this.#deadlines = new Deadlines(deps.clock, this.#scheduler);
    const batching = options.batching;
    const threadSlots =
      batching === undefined
        ? options.maxThreads * options.concurrentTasksPerWorker
        : LaneEngine.capacity(batching.maxBatch, options.maxThreads);
    // Per-call mode hands up to one more call per thread slot to piscina ahead of time: piscina
    // posts a queued task the moment a thread reports its last result, before that result even
    // settles, so the thread never waits for the main thread to come round to our queue (with
    // 1,000 calls in flight that round trip was most of the gap to bare piscina). Those calls
    // count against `maxQueue` (`flow.waiting`) and keep their queue timeout until they start.
    const slots = new SlotTable(batching === undefined ? 2 * threadSlots : threadSlots);
    const flow = new CallFlow({
      service,
      clock: deps.clock,
      slots,
      threadSlots,
      deadlines: this.#deadlines,
      queueTimeoutMs: options.queueTimeoutMs,
    });
    this.#flow = flow;
    const channel = `breakwater:${randomUUID()}`;
    this.#cancels = new BroadcastChannel(channel);
    this.#cancels.unref();
    const engine =
      batching === undefined
        ? new TaskEngine(flow, options.concurrentTasksPerWorker, this.#cancels, slots.started)
        : new LaneEngine(flow, slots, batching.maxBatch, options.maxThreads);
    this.#engine = engine;
    this.#host = new PoolHost({
      service,
      options,
      scheduler: this.#scheduler,
      now: () => this.#clock.now(),
      logger: deps.logger,
      data: { module: options.worker.href, started: slots.buffer, cancelChannel: channel },
      balancer: engine.balancer,
      events: this,
    });
    engine.attach(this.#host);
    flow.attach(engine, this.#host);
    this.#host.current();
  }

  call(request: ExecRequest): Promise<unknown> {
    const service = this.#service;
    const flow = this.#flow;
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
    if (this.#host.current() === undefined) return Promise.reject(flow.loadError());
    const now = flow.queue.size === 0 && flow.canDispatch();
    // A call that will wait (in our queue, or handed to piscina ahead of a free thread) needs room.
    if (!(now && flow.hasThreadSlot()) && flow.waiting >= this.#maxQueue) {
      return Promise.reject(new BulkheadFullError(service, this.#maxQueue));
    }
    const call = new PoolCall(flow, request);
    flow.admit(call, now);
    return call.promise;
  }

  metrics(): PoolMetrics {
    const host = this.#host;
    const flow = this.#flow;
    return {
      threads: host.threadCount,
      queued: flow.queue.size + flow.dispatched,
      running: flow.running,
      utilization: this.#engine.utilization(flow.running),
      restarts: host.restarts,
      crashes: host.crashes,
      terminations: host.terminations,
      broken: host.stuckThreads > 0,
    };
  }

  health(): { readonly healthy: boolean; readonly message: string } {
    const host = this.#host;
    if (this.#flow.closed) return { healthy: false, message: 'worker pool is closed' };
    if (host.stuckThreads > 0) {
      const message = `worker pool is broken: ${host.stuckThreads} thread(s) did not stop after terminate()`;
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
      if (!options.drain) this.#flow.onDrained?.();
      return this.#closing;
    }
    this.#closing = this.#close(options.drain, options.timeoutMs);
    return this.#closing;
  }

  // ---------------------------------------------------------------- threads (HostEvents)

  threadsChanged(): void {
    if (!this.#flow.closed) this.#flow.pump();
  }

  threadExited(thread: ThreadState): void {
    this.#engine.threadExited(thread);
  }

  loaded(handlers: readonly string[]): void {
    this.#handlers = new Set(handlers);
  }

  loadFailed(error: unknown): void {
    // Nothing can run until the backoff ends: waiting calls fail now rather than time out later.
    this.#flow.failQueued(() => this.#flow.loadError(error));
  }

  // ---------------------------------------------------------------- close

  async #close(drain: boolean, timeoutMs: number): Promise<void> {
    const flow = this.#flow;
    const closed = (): SupervisorClosedError => new SupervisorClosedError(this.#service);
    if (drain && timeoutMs > 0 && (flow.queue.size > 0 || flow.slots.used > 0)) {
      flow.draining = true;
      this.#host.freezeThreadCount();
      await this.#bounded(
        new Promise<void>((resolve) => {
          flow.onDrained = resolve;
          flow.pump();
        }),
        timeoutMs,
      );
      flow.onDrained = undefined;
    }
    flow.closed = true;
    flow.failQueued(closed);
    flow.failHandedOver(closed);
    this.#engine.close();
    await this.#bounded(this.#host.stop('close'), TERMINATE_GRACE_MS);
    if (this.#host.threadCount > 0) {
      const threads = this.#host.threadCount;
      this.#logger?.error({ service: this.#service, threads }, 'worker threads did not exit after close()');
    }
    this.#deadlines.takeAll();
    this.#scheduler.clear();
    this.#cancels.close();
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
