/**
 * The threads of one pool: a piscina instance (a "generation"), what we know about each of its
 * threads, how each one ended, and the load-failure backoff. piscina spawns threads (one per lane
 * task its balancer can't place) and watches them; this class adds what piscina lacks:
 * termination that can fail (a thread stuck in a system call never exits: the pool is reported
 * broken), crash/OOM counting, and no respawn storm when the module can't load (the generation is
 * stopped and a new one is started only after an exponentially growing, capped delay, and only
 * when a call needs it).
 */
import { Piscina } from 'piscina';
import { deserializeError } from '../serialization/errors.ts';
import type { Scheduler } from '../time/scheduler.ts';
import type { Logger } from '../types.ts';
import type { ResolvedPoolOptions } from './options.ts';
import { isRuntimeNotice, type RuntimeData } from './protocol.ts';
import { needsTypeScriptLoader, runtimeFile, typeScriptExecArgv } from './runtime-location.ts';
import {
  type Generation,
  loadRetryDelay,
  TERMINATE_GRACE_MS,
  type TerminateReason,
  ThreadState,
} from './threads.ts';

type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;
export type Balancer = NonNullable<PiscinaOptions['loadBalancer']>;

export interface HostEvents {
  /** Capacity may have changed: a thread became ready or went away. */
  threadsChanged(): void;
  /** A thread exited (before `threadsChanged`). */
  threadExited(thread: ThreadState): void;
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
  readonly balancer: Balancer;
  readonly events: HostEvents;
}

export class PoolHost {
  readonly #c: HostConfig;
  readonly threads = new Map<number, ThreadState>();
  generation: Generation | undefined;
  crashes = 0;
  terminations = 0;
  restarts = 0;
  /** Threads we failed to terminate that are still alive. */
  stuckThreads = 0;
  loadFailures = 0;
  loadError: unknown;
  retryAt = 0;
  closed = false;
  #replacements = 0;
  #lastPoolError: unknown;
  #justExited: ThreadState | undefined;
  readonly #stopping = new Set<Promise<void>>();

  constructor(config: HostConfig) {
    this.#c = config;
  }

  /** The running generation, starting one if the load backoff allows; `undefined` while backing off. */
  current(): Generation | undefined {
    if (this.generation !== undefined || this.closed) return this.generation;
    if (this.loadFailures > 0) {
      if (this.#c.now() < this.retryAt) return undefined;
      this.restarts++;
    }
    this.generation = this.#start();
    return this.generation;
  }

  /** Threads alive (including starting and dying ones) across generations. */
  get threadCount(): number {
    let n = 0;
    for (const t of this.threads.values()) if (!t.gone) n++;
    return n;
  }

  /**
   * The state of thread `id` (a live thread's, never -1), created on first sight (its runtime's
   * notice, the balancer, or piscina's `workerCreate`) with its exit and error watched from then.
   */
  thread(id: number, generation: Generation): ThreadState {
    let t = this.threads.get(id);
    if (t === undefined) {
      t = new ThreadState(id, generation);
      this.threads.set(id, t);
      this.#watch(t);
    }
    return t;
  }

  #watch(t: ThreadState): void {
    const worker = t.generation.piscina.threads.find((w) => w.threadId === t.id);
    t.worker = worker;
    // Prepended so we learn how the thread ended before piscina rejects its tasks.
    worker?.prependListener('error', (error: unknown) => {
      t.error = error;
      this.#noteEnding(t);
    });
    worker?.prependListener('exit', (code: number) => this.#onExit(t, code));
  }

  /**
   * Terminates a thread (stuck, retired with only overdue calls, or idle). If it has not exited
   * after TERMINATE_GRACE_MS (blocked in a system call, where V8 can't interrupt it), the pool is
   * reported broken.
   */
  terminate(thread: ThreadState, reason: TerminateReason): void {
    if (thread.terminatedFor !== undefined || thread.gone) return;
    thread.terminatedFor = reason;
    thread.life = 'terminating';
    if (reason !== 'idle') this.terminations++;
    this.#c.logger?.[reason === 'idle' ? 'info' : 'warn'](
      { service: this.#c.service, threadId: thread.id, reason },
      'terminating worker thread',
    );
    const worker = thread.worker;
    if (worker === undefined) return;
    thread.stopCheck = this.#c.scheduler.schedule(this.#c.now() + TERMINATE_GRACE_MS, () => {
      thread.stopCheck = undefined;
      if (thread.gone || thread.unstoppable) return;
      thread.unstoppable = true;
      this.stuckThreads++;
      this.#c.logger?.error(
        { service: this.#c.service, threadId: thread.id },
        `worker thread did not exit ${TERMINATE_GRACE_MS} ms after terminate(); the pool is broken`,
      );
    });
    void worker.terminate();
  }

  /** A thread retires: the thread started next replaces it (counted in `restarts`). */
  replacing(): void {
    this.#replacements++;
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
        // Threads of this generation we never got to watch are gone with it.
        for (const t of [...this.threads.values()]) {
          if (t.generation === gen && t.worker === undefined) this.threads.delete(t.id);
        }
      });
    this.#stopping.add(done);
    return reason === 'close' ? Promise.all(this.#stopping).then(() => undefined) : done;
  }

  #start(): Generation {
    const { options, data, balancer } = this.#c;
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
      loadBalancer: balancer,
    });
    const gen: Generation = { piscina, stopReason: undefined };
    piscina.on('workerCreate', (w: { id: number }) => this.#onCreate(gen, w.id));
    piscina.on('workerDestroy', (w: { id: number }) => this.#onDestroy(gen, w.id));
    piscina.on('message', (message: unknown) => this.#onNotice(gen, message));
    piscina.on('error', (error: unknown) => {
      // A thread died with no task (idle, starting, or serving a lane): counted and logged on exit.
      this.#lastPoolError = error;
    });
    return gen;
  }

  #onCreate(gen: Generation, id: number): void {
    const t = this.thread(id, gen);
    // Seen first through its runtime's notice, before piscina listed it: watch it now.
    if (t.worker === undefined) this.#watch(t);
    if (t.life === 'starting') t.life = 'ready';
    if (this.#replacements > 0) {
      this.#replacements--;
      this.restarts++;
    }
    this.#c.logger?.info({ service: this.#c.service, threadId: id }, 'worker thread started');
    this.#c.events.threadsChanged();
  }

  #onDestroy(gen: Generation, id: number): void {
    const t = id === -1 ? this.#justExited : this.threads.get(id);
    this.#justExited = undefined;
    if (t !== undefined && t.life !== 'starting') {
      // Before its exit and without an error: piscina retired it (destroy, our terminate).
      if (!t.gone && t.error === undefined) t.retiredByPiscina = true;
      t.destroyed = true;
      if (t.gone) this.threads.delete(t.id);
      return;
    }
    // A thread piscina never saw ready died while starting: the module could not be loaded.
    if (t !== undefined) this.threads.delete(t.id);
    if (gen.stopReason !== undefined) return;
    const cause = this.#lastPoolError ?? new Error('worker thread exited while starting');
    this.#lastPoolError = undefined;
    this.#c.logger?.warn(
      { err: cause, service: this.#c.service, threadId: id },
      'worker thread exited while loading the module',
    );
    this.#onLoadFailed(gen, cause);
  }

  /**
   * A dying Worker's threadId already reads -1 when it emits 'error' (out of memory) or 'exit', and
   * piscina retires it from inside that same emit: the thread it names -1 is the one we just saw.
   */
  #noteEnding(t: ThreadState): void {
    this.#justExited = t;
    queueMicrotask(() => {
      if (this.#justExited === t) this.#justExited = undefined;
    });
  }

  #onExit(t: ThreadState, code: number): void {
    const retiring = t.life === 'retiring' || t.terminatedFor === 'retired' || t.terminatedFor === 'stuck';
    t.life = 'gone';
    t.exitCode = code;
    this.#noteEnding(t);
    if (t.destroyed) this.threads.delete(t.id);
    if (t.stopCheck !== undefined) this.#c.scheduler.cancel(t.stopCheck);
    t.stopCheck = undefined;
    if (t.unstoppable) {
      t.unstoppable = false;
      this.stuckThreads--;
    }
    const intended =
      t.terminatedFor !== undefined || t.retiredByPiscina || t.generation.stopReason !== undefined;
    if (!intended && !t.loaded) {
      // Died while loading the module (process.exit() or out of memory at top level): a load
      // failure, retried with backoff, not a crash that piscina would respawn in a loop.
      const cause = t.error ?? new Error(`worker thread exited with code ${code} while loading the module`);
      this.#c.logger?.warn(
        { err: cause, service: this.#c.service, threadId: t.id, exitCode: code },
        'worker thread exited while loading the module',
      );
      this.#onLoadFailed(t.generation, cause);
    } else if (!intended) {
      this.crashes++;
    }
    // Logged once the pool has dealt with the exit (below), so a reader sees the state after it.
    const report = (): void => {
      if (!intended && !t.loaded) return;
      const fields = { service: this.#c.service, threadId: t.id, exitCode: code };
      if (intended) this.#c.logger?.info(fields, 'worker thread stopped');
      else this.#c.logger?.warn({ err: t.error, ...fields }, 'worker thread crashed');
    };
    // A retired thread's replacement was counted when it retired (it starts before this exit).
    if (!intended && t.generation.stopReason === undefined && !this.closed && !retiring) {
      this.#replacements++;
    }
    // Told after piscina's own 'exit' handler (ours runs first): by then piscina no longer lists
    // the dead thread, so nothing dispatched in reaction can land on it.
    queueMicrotask(() => {
      this.#c.events.threadExited(t);
      this.#c.events.threadsChanged();
      report();
    });
  }

  #onNotice(gen: Generation, message: unknown): void {
    if (!isRuntimeNotice(message)) return;
    this.thread(message.threadId, gen).loaded = true;
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
