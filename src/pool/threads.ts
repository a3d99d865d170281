/**
 * What a pool knows about its threads and piscina instances, and the timing constants of their
 * lifecycle. Plain data: thread-registry.ts fills it in from piscina's and the threads' events,
 * lanes.ts moves a thread to `retiring`.
 */
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { ScheduledTask } from '../time/scheduler.ts';

/** A thread got this long to exit after terminate() before the pool is reported broken. */
export const TERMINATE_GRACE_MS = 5_000;
/** A call that ignores its abort this long (ms) gets its thread retired. @default 1000 */
export const DEFAULT_ABORT_GRACE_MS = 1_000;
/** A thread whose heartbeat has not moved for this long (ms, real time) is stuck. */
export const STUCK_AFTER_MS = 1_000;
/** First delay before a pool whose module failed to load tries again; doubles per failure. */
export const LOAD_RETRY_BASE_MS = 250;
export const LOAD_RETRY_MAX_MS = 30_000;

/** Delay before the next load attempt after `failures` failed ones (>= 1). */
export function loadRetryDelay(failures: number): number {
  return Math.min(LOAD_RETRY_MAX_MS, LOAD_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 20));
}

/**
 * A thread's life, one state at a time: `starting` (piscina is spawning it), `ready` (it takes
 * calls once its lane is open), `retiring` (no new calls; its own calls run to their deadlines),
 * `terminating` (terminate() was called), `gone` (it exited).
 */
export type ThreadLife = 'starting' | 'ready' | 'retiring' | 'terminating' | 'gone';

/** Why the pool terminated a thread (so its exit is not a crash). */
export type TerminateReason =
  /** Its event loop stopped turning while a call on it was overdue. */
  | 'stuck'
  /** It was retiring and now holds only overdue calls. */
  | 'retired'
  /** Idle above `threads.min` for `idleTimeoutMs`. */
  | 'idle';

/** What the pool knows about one thread. */
export class ThreadState {
  readonly id: number;
  readonly generation: Generation;
  worker: Worker | undefined;
  life: ThreadLife = 'starting';
  /** The runtime reported the module loaded (or failed to load). */
  loaded = false;
  /** Why we terminated it, if we did. */
  terminatedFor: TerminateReason | undefined;
  /** The 'error' event it emitted before dying (uncaught exception, out of memory). */
  error: unknown;
  exitCode: number | undefined;
  /** piscina retired it on purpose (pool destroyed) before it exited. */
  retiredByPiscina = false;
  /** piscina let go of it (`workerDestroy`); once gone too, it is forgotten. */
  destroyed = false;
  /** terminate() did not make it exit within TERMINATE_GRACE_MS (blocked in a system call). */
  unstoppable = false;
  stopCheck: ScheduledTask | undefined;
  /** The lane this thread serves. */
  lane: unknown;

  constructor(id: number, generation: Generation) {
    this.id = id;
    this.generation = generation;
  }

  get gone(): boolean {
    return this.life === 'gone';
  }
}

/** One piscina instance. A new one replaces it after the module failed to load. */
export interface Generation {
  readonly piscina: Piscina;
  /** Set once we stop it: threads and calls lost afterwards are not crashes. */
  stopReason: 'load' | 'close' | undefined;
}
