/**
 * The threads of one pool: a piscina instance (a "generation") and the load-failure backoff.
 * piscina spawns threads (one per lane task it can't place on a thread without a lane) and watches
 * them; thread-registry.ts follows each thread to its exit (termination that can fail, crashes).
 * This class starts and stops generations, and keeps a module that can't load from causing a
 * respawn storm: the generation is stopped and a new one is started only after an exponentially
 * growing, capped delay, and only when a call needs it.
 */
import { Piscina } from 'piscina';
import { WorkerLoadError } from '../errors.ts';
import { deserializeError } from '../serialization/errors.ts';
import type { Scheduler } from '../time/scheduler.ts';
import type { Logger } from '../types.ts';
import type { ResolvedPoolOptions } from './options.ts';
import { isRuntimeNotice, type RuntimeData } from './protocol.ts';
import { needsTypeScriptLoader, runtimeFile, typeScriptExecArgv } from './runtime-location.ts';
import { type ThreadEvents, ThreadRegistry } from './thread-registry.ts';
import { type Generation, loadRetryDelay } from './threads.ts';

type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;
type Balancer = NonNullable<PiscinaOptions['loadBalancer']>;

/**
 * piscina's load balancer with what it needs to place a lane task on a thread of `gen`: the
 * thread, or null for piscina to spawn one (lanes.ts: one lane per thread).
 */
export type PlaceLane = (
  task: Parameters<Balancer>[0],
  workers: Parameters<Balancer>[1],
  gen: Generation,
  threads: ThreadRegistry,
) => ReturnType<Balancer>;

export interface HostEvents extends ThreadEvents {
  /** A thread loaded the module; `handlers` are its function exports. */
  loaded(handlers: readonly string[]): void;
  /** The module failed to load; the generation is being stopped. */
  loadFailed(error: unknown): void;
}

export interface HostConfig {
  readonly service: string;
  readonly options: ResolvedPoolOptions;
  readonly scheduler: Scheduler;
  readonly now: () => number;
  readonly logger: Logger | undefined;
  readonly data: RuntimeData;
  /** Picks the thread for each lane task (one lane per thread). */
  readonly placeLane: PlaceLane;
  readonly events: HostEvents;
}

export class PoolHost {
  readonly #c: HostConfig;
  readonly threads: ThreadRegistry;
  generation: Generation | undefined;
  loadFailures = 0;
  loadError: unknown;
  retryAt = 0;
  closed = false;
  readonly #stopping = new Set<Promise<void>>();

  constructor(config: HostConfig) {
    this.#c = config;
    this.threads = new ThreadRegistry({
      service: config.service,
      scheduler: config.scheduler,
      now: config.now,
      logger: config.logger,
      events: config.events,
      diedLoading: (gen, cause) => this.#onLoadFailed(gen, cause),
    });
  }

  /** The running generation, starting one if the load backoff allows; `undefined` while backing off. */
  current(): Generation | undefined {
    if (this.generation !== undefined || this.closed) return this.generation;
    if (this.loadFailures > 0) {
      if (this.#c.now() < this.retryAt) return undefined;
      this.threads.restarts++;
    }
    this.generation = this.#start();
    return this.generation;
  }

  /** Stops the current generation; its threads are terminated. Resolves when they have exited. */
  stop(reason: 'load' | 'close'): Promise<void> {
    const gen = this.generation;
    if (reason === 'close') this.closed = true;
    if (gen === undefined) return Promise.all(this.#stopping).then(() => undefined);
    this.generation = undefined;
    gen.stopReason = reason;
    // piscina.destroy() rejects queued tasks and terminates threads; deferred so it never runs
    // inside one of piscina's own event handlers.
    const done = Promise.resolve()
      .then(() => gen.piscina.destroy())
      .catch((error: unknown) =>
        this.#c.logger?.warn({ err: error, service: this.#c.service }, 'pool destroy failed'),
      )
      .finally(() => {
        this.#stopping.delete(done);
        gen.piscina.removeAllListeners();
        this.threads.forget(gen);
      });
    this.#stopping.add(done);
    return reason === 'close' ? Promise.all(this.#stopping).then(() => undefined) : done;
  }

  #start(): Generation {
    const { options, data, placeLane } = this.#c;
    const piscina = new Piscina({
      filename: runtimeFile,
      // lanes.ts starts every thread (a lane task piscina can't place spawns one) and keeps
      // threads.min; piscina respawning on its own would race it and start one thread too many.
      minThreads: 0,
      // Room for a replacement beside each retiring thread; lanes.ts keeps the threads that take
      // calls within threads.max.
      maxThreads: 2 * options.maxThreads,
      // A lane's task ends as soon as the lane is set up, so piscina sees every thread as idle: its
      // idle timer must not retire them (lanes.ts retires idle threads itself).
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      maxQueue: Number.POSITIVE_INFINITY,
      // Lanes live on the event loop: no thread parks in Atomics.wait().
      atomics: 'disabled',
      recordTiming: false,
      workerData: data,
      ...(needsTypeScriptLoader(options.worker) ? { execArgv: typeScriptExecArgv() } : {}),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
      loadBalancer: (task, workers) => {
        const current = this.generation;
        return current === undefined ? null : placeLane(task, workers, current, this.threads);
      },
    });
    const gen: Generation = { piscina, stopReason: undefined };
    const threads = this.threads;
    piscina.on('workerCreate', (w: { id: number }) => threads.created(gen, w.id));
    piscina.on('workerDestroy', (w: { id: number }) => threads.destroyed(gen, w.id));
    piscina.on('message', (message: unknown) => this.#onNotice(gen, message));
    piscina.on('error', (error: unknown) => threads.poolError(error));
    return gen;
  }

  #onNotice(gen: Generation, message: unknown): void {
    if (!isRuntimeNotice(message)) return;
    this.threads.thread(message.threadId, gen).loaded = true;
    if (message.bw === 'loaded') {
      if (gen.stopReason === undefined) {
        this.loadFailures = 0;
        this.loadError = undefined;
      }
      this.#c.events.loaded(message.handlers);
      return;
    }
    this.#onLoadFailed(gen, deserializeError(message.error));
  }

  /** The error for calls that can't run because the module failed to load. */
  loadFailureError(cause: unknown = this.loadError): WorkerLoadError {
    const service = this.#c.service;
    const why = cause instanceof Error ? cause.message : String(cause);
    const wait = Math.max(0, this.retryAt - this.#c.now());
    const attempt = this.loadFailures > 0 ? ` (attempt ${this.loadFailures}; next in ${wait} ms)` : '';
    return new WorkerLoadError(service, `worker module of "${service}" failed to load: ${why}${attempt}`, {
      cause,
    });
  }

  /** A call came back "module failed to load" (possibly before the runtime's notice did). */
  loadFailedIn(gen: Generation | undefined, error: unknown): void {
    if (gen !== undefined) this.#onLoadFailed(gen, error);
  }

  #onLoadFailed(gen: Generation, error: unknown): void {
    if (gen.stopReason !== undefined || this.generation !== gen) return;
    this.loadFailures++;
    this.loadError = error;
    this.retryAt = this.#c.now() + loadRetryDelay(this.loadFailures);
    this.#c.logger?.error(
      { err: error, service: this.#c.service, attempt: this.loadFailures },
      'worker module failed to load; the pool retries later',
    );
    void this.stop('load');
    this.#c.events.loadFailed(error);
  }
}
