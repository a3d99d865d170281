/**
 * Every thread of a pool, across its generations, from first sight to exit: its ThreadState, ready
 * once piscina lists it, termination that can fail (a thread stuck in a system call never exits:
 * the pool is reported broken), how it ended (stopped on purpose, crashed, or died loading the
 * module, which is a load failure for the host and not a crash), and the counts the metrics
 * report. host.ts feeds it piscina's events; the threads' own 'error' and 'exit' it watches itself.
 */
import type { Scheduler } from '../time/scheduler.ts';
import type { Logger } from '../types.ts';
import { type Generation, TERMINATE_GRACE_MS, type TerminateReason, ThreadState } from './threads.ts';

/** What the pool hears about its threads. */
export interface ThreadEvents {
  /** Capacity may have changed: a thread became ready or went away. */
  threadsChanged(): void;
  /** A thread exited (before `threadsChanged`). */
  threadExited(thread: ThreadState): void;
}

export interface RegistryConfig {
  readonly service: string;
  readonly scheduler: Scheduler;
  readonly now: () => number;
  readonly logger: Logger | undefined;
  readonly events: ThreadEvents;
  /** A thread of `gen` died loading the module: the host's load backoff takes over. */
  readonly diedLoading: (gen: Generation, cause: unknown) => void;
}

export class ThreadRegistry {
  readonly #c: RegistryConfig;
  readonly #threads = new Map<number, ThreadState>();
  crashes = 0;
  terminations = 0;
  /** Threads started to replace one (retired or crashed), and generations started after a load failure. */
  restarts = 0;
  /** Threads we failed to terminate that are still alive. */
  stuckThreads = 0;
  #replacements = 0;
  #lastPoolError: unknown;
  #justExited: ThreadState | undefined;

  constructor(config: RegistryConfig) {
    this.#c = config;
  }

  /** Threads alive (including starting and dying ones) across generations. */
  get count(): number {
    let n = 0;
    for (const t of this.#threads.values()) if (!t.gone) n++;
    return n;
  }

  /**
   * The state of thread `id` (a live thread's, never -1), created on first sight (its runtime's
   * notice, the balancer, or piscina's `workerCreate`) with its exit and error watched from then.
   */
  thread(id: number, generation: Generation): ThreadState {
    let t = this.#threads.get(id);
    if (t === undefined) {
      t = new ThreadState(id, generation);
      this.#threads.set(id, t);
      this.#watch(t);
    }
    return t;
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

  /** piscina's `workerCreate`: the thread is listed, and ready. */
  created(gen: Generation, id: number): void {
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

  /** piscina's `workerDestroy`: it let go of the thread. */
  destroyed(gen: Generation, id: number): void {
    const t = id === -1 ? this.#justExited : this.#threads.get(id);
    this.#justExited = undefined;
    if (t !== undefined && t.life !== 'starting') {
      // Before its exit and without an error: piscina retired it (destroy, our terminate).
      if (!t.gone && t.error === undefined) t.retiredByPiscina = true;
      t.destroyed = true;
      if (t.gone) this.#threads.delete(t.id);
      return;
    }
    // A thread piscina never saw ready died while starting: the module could not be loaded.
    if (t !== undefined) this.#threads.delete(t.id);
    if (gen.stopReason !== undefined) return;
    const cause = this.#lastPoolError ?? new Error('worker thread exited while starting');
    this.#lastPoolError = undefined;
    this.#c.logger?.warn(
      { err: cause, service: this.#c.service, threadId: id },
      'worker thread exited while loading the module',
    );
    this.#c.diedLoading(gen, cause);
  }

  /** piscina's 'error': a thread died with no task (idle, starting, or serving a lane). */
  poolError(error: unknown): void {
    // Counted and logged on exit (or named as the load error of a thread that died starting).
    this.#lastPoolError = error;
  }

  /** A stopped generation is gone: so are its threads we never got to watch. */
  forget(gen: Generation): void {
    for (const t of [...this.#threads.values()]) {
      if (t.generation === gen && t.worker === undefined) this.#threads.delete(t.id);
    }
  }

  // ---------------------------------------------------------------- internals

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
    if (t.destroyed) this.#threads.delete(t.id);
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
      this.#c.diedLoading(t.generation, cause);
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
    // (A stopped generation's exits, a closed pool's included, are intended: nothing replaces them.)
    if (!intended && !retiring) this.#replacements++;
    // Told after piscina's own 'exit' handler (ours runs first): by then piscina no longer lists
    // the dead thread, so nothing dispatched in reaction can land on it.
    queueMicrotask(() => {
      this.#c.events.threadExited(t);
      this.#c.events.threadsChanged();
      report();
    });
  }
}
