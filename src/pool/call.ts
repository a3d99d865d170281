/**
 * One call through a pool, from call() to its settlement, and the two structures that hold calls:
 * the wait queue (intrusive FIFO: O(1) removal on abort or queue timeout, no allocation) and the
 * slot table (calls handed to threads, indexed by the slot the worker marks as "started").
 *
 * A call settles once (the caller's promise) but may finish later (the thread lets go of it):
 * an aborted or timed-out call keeps its slot until its thread is done with it or is gone.
 */
import type { DeadlineList, DeadlineNode } from '../time/deadlines.ts';
import { NOT_STARTED } from './protocol.ts';
import type { Generation, ThreadState } from './threads.ts';
import type { ExecRequest } from './types.ts';

/** Where a call is. */
export const Phase = {
  /** In our wait queue. */
  Queued: 0,
  /** Handed to piscina, which has not given it to a thread yet (a thread is starting). */
  Dispatched: 1,
  /** Given to a thread (it may still be in the thread's inbox: see `started`). */
  Running: 2,
  /** The thread is done with it, or is gone. */
  Done: 3,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** What the executor does when one of a call's timers fires. */
export interface CallOwner {
  expired(call: PoolCall): void;
  shutdown(call: PoolCall): void;
}

export class PoolCall implements DeadlineNode {
  readonly owner: CallOwner;
  readonly handler: string;
  readonly args: readonly unknown[];
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly transferList: readonly Transferable[] | undefined;
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;

  phase: Phase = Phase.Queued;
  settled = false;
  slot = -1;
  /** The piscina instance it was handed to, and the thread that has it once started. */
  gen: Generation | undefined;
  thread: ThreadState | undefined;
  /** Batching mode: the lane that carries it. */
  lane: unknown;
  /** Times it went back to the queue because its thread died before starting it. */
  requeues = 0;
  /** piscina's task, kept to turn it into a no-op (handler '') if the caller gives up first. */
  task: [number, string, ...unknown[]] | null = null;
  /** Takes the call back out of piscina's queue (calls handed over ahead of a free thread). */
  withdrawal: { withdraw(): void } | null = null;
  onAbort: (() => void) | undefined;

  qPrev: PoolCall | null = null;
  qNext: PoolCall | null = null;

  dlAt = 0;
  dlPrev: DeadlineNode | null = null;
  dlNext: DeadlineNode | null = null;
  dlList: DeadlineList | null = null;

  constructor(owner: CallOwner, request: ExecRequest) {
    this.owner = owner;
    this.handler = request.handler;
    this.args = request.args;
    this.timeoutMs = request.timeoutMs;
    this.signal = request.signal;
    this.transferList = request.transferList;
    this.promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Settles with a value. False if it was already settled. */
  fulfil(value: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#release();
    this.resolve(value);
    return true;
  }

  /** Settles with an error. False if it was already settled. */
  fail(error: unknown): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#release();
    this.reject(error);
    return true;
  }

  expire(): void {
    this.owner.expired(this);
  }

  shutdown(): void {
    this.owner.shutdown(this);
  }

  #release(): void {
    if (this.onAbort !== undefined) {
      this.signal?.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
  }
}

/** FIFO of waiting calls with O(1) removal from anywhere. */
export class WaitQueue {
  #head: PoolCall | null = null;
  #tail: PoolCall | null = null;
  size = 0;

  get head(): PoolCall | null {
    return this.#head;
  }

  push(call: PoolCall): void {
    call.qNext = null;
    call.qPrev = this.#tail;
    if (this.#tail === null) this.#head = call;
    else this.#tail.qNext = call;
    this.#tail = call;
    this.size++;
  }

  /** Puts a call back at the front (it was handed to a thread that died before starting it). */
  unshift(call: PoolCall): void {
    call.qPrev = null;
    call.qNext = this.#head;
    if (this.#head === null) this.#tail = call;
    else this.#head.qPrev = call;
    this.#head = call;
    this.size++;
  }

  shift(): PoolCall | null {
    const call = this.#head;
    if (call !== null) this.remove(call);
    return call;
  }

  remove(call: PoolCall): void {
    if (call.qPrev === null) this.#head = call.qNext;
    else call.qPrev.qNext = call.qNext;
    if (call.qNext === null) this.#tail = call.qPrev;
    else call.qNext.qPrev = call.qPrev;
    call.qPrev = null;
    call.qNext = null;
    this.size--;
  }
}

/**
 * Calls handed to threads, by slot. Each slot has an Int32 in a SharedArrayBuffer that the worker
 * marks when it starts the call (and then with how it ended: protocol.ts `slotMark`), so when a thread dies we know which of its calls never ran
 * (they go back to the queue) and which were running (each gets its own error).
 */
export class SlotTable {
  readonly buffer: SharedArrayBuffer;
  readonly started: Int32Array;
  readonly calls: (PoolCall | undefined)[];
  readonly #free: number[] = [];
  used = 0;

  constructor(capacity: number) {
    this.buffer = new SharedArrayBuffer(capacity * Int32Array.BYTES_PER_ELEMENT);
    this.started = new Int32Array(this.buffer);
    this.calls = new Array<PoolCall | undefined>(capacity).fill(undefined);
    for (let i = capacity - 1; i >= 0; i--) this.#free.push(i);
  }

  get capacity(): number {
    return this.calls.length;
  }

  take(call: PoolCall): number {
    const slot = this.#free.pop();
    if (slot === undefined) throw new Error('breakwater: no free slot (capacity accounting is broken)');
    this.started[slot] = NOT_STARTED;
    this.calls[slot] = call;
    this.used++;
    call.slot = slot;
    return slot;
  }

  release(call: PoolCall): void {
    const slot = call.slot;
    if (slot < 0 || this.calls[slot] !== call) return;
    this.calls[slot] = undefined;
    this.#free.push(slot);
    this.used--;
    call.slot = -1;
  }

  hasStarted(call: PoolCall): boolean {
    return call.slot >= 0 && Atomics.load(this.started, call.slot) !== NOT_STARTED;
  }
}
