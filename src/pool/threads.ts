/**
 * What a pool knows about its threads and piscina instances, and the timing constants of their
 * lifecycle. Plain data: host.ts fills it in from piscina's and the threads' events.
 */
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { ScheduledTask } from '../time/scheduler.ts';

/** A thread got this long to exit after terminate() before the pool is reported broken. */
export const TERMINATE_GRACE_MS = 5_000;
/** First delay before a pool whose module failed to load tries again; doubles per failure. */
export const LOAD_RETRY_BASE_MS = 250;
export const LOAD_RETRY_MAX_MS = 30_000;

/** Delay before the next load attempt after `failures` failed ones (>= 1). */
export function loadRetryDelay(failures: number): number {
  return Math.min(LOAD_RETRY_MAX_MS, LOAD_RETRY_BASE_MS * 2 ** Math.min(failures - 1, 20));
}

/** What the pool knows about one thread. */
export class ThreadState {
  readonly id: number;
  readonly generation: Generation;
  worker: Worker | undefined;
  /** Calls started on it and not finished (per-call mode). */
  running = 0;
  /** piscina reported it ready (`workerCreate`; for the first threads, before they even loaded). */
  ready = false;
  /** The runtime reported the module loaded (or failed to load). */
  loaded = false;
  /** Why we terminated it, if we did. */
  killedFor: 'timeout' | undefined;
  /** The 'error' event it emitted before dying (uncaught exception, out of memory). */
  error: unknown;
  exited = false;
  exitCode: number | undefined;
  /** piscina retired it on purpose (idle, pool destroyed) before it exited. */
  retired = false;
  /** piscina let go of it (`workerDestroy`); with `exited`, it is forgotten. */
  destroyed = false;
  stuck = false;
  stuckCheck: ScheduledTask | undefined;
  /** Batching mode: the lane served by this thread. */
  lane: unknown;

  constructor(id: number, generation: Generation) {
    this.id = id;
    this.generation = generation;
  }
}

/** One piscina instance. A new one replaces it after the module failed to load. */
export interface Generation {
  readonly piscina: Piscina;
  /** Set once we stop it: threads and calls lost afterwards are not crashes. */
  stopReason: 'load' | 'close' | undefined;
}
