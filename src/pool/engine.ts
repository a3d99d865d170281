/**
 * How calls reach threads. Two engines share the executor's queue, deadlines, slots and error
 * mapping: the task engine gives piscina one task per call (the default), the lane engine keeps
 * one port per thread and sends the calls of one event-loop turn as one message (batching mode).
 */
import type { PoolCall } from './call.ts';
import type { Balancer, PoolHost } from './host.ts';
import type { Outcome } from './protocol.ts';
import type { ThreadState } from './threads.ts';

/** Implemented by the executor: what an engine reports back. */
export interface EngineSink {
  /** A thread has the call now (its run timeout starts). */
  started(call: PoolCall): void;
  /** The worker reported the call's outcome. */
  outcome(call: PoolCall, kind: Outcome, value: unknown): void;
  /** The call's thread is gone (or the call could not be sent): `error` says how. */
  lost(call: PoolCall, error: unknown): void;
  /** Capacity grew (a lane opened): waiting calls may go. */
  capacityChanged(): void;
}

export interface Engine {
  /** piscina's load balancer for this engine's tasks. */
  readonly balancer: Balancer;
  /** Called once, right after the host exists (the host needs the balancer first). */
  attach(host: PoolHost): void;
  /**
   * Can one more call be handed over now (the executor has checked there is a free slot)?
   * `draining`: only to threads that are up; `dispatched`: calls handed over but not started.
   */
  canDispatch(draining: boolean, dispatched: number): boolean;
  /**
   * Hands over a call that holds a slot. May report `started` synchronously. `ahead`: every
   * thread slot is taken, so the call waits in the engine until a thread is free.
   */
  dispatch(call: PoolCall, ahead: boolean): void;
  /** The thread is done with a started call. */
  finished(call: PoolCall): void;
  /** The caller gave up on a running call: abort its signal in the worker. */
  cancel(call: PoolCall): void;
  /** The caller gave up on a call not yet given to a thread: withdraw it, or turn it into a no-op. */
  skip(call: PoolCall): void;
  /** A thread exited. */
  threadExited(thread: ThreadState): void;
  /** Fraction of threads' capacity busy, 0..1. */
  utilization(running: number): number;
  close(): void;
}
