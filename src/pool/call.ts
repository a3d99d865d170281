/**
 * One call through a pool, from call() to its settlement, and the two structures that hold calls:
 * the wait queue (intrusive FIFO: O(1) removal on abort or queue timeout, no allocation) and the
 * slot table (calls handed to threads, indexed by the slot the worker marks as "started").
 *
 * A call settles once (the caller's promise) but may finish later (the thread lets go of it):
 * an aborted or timed-out call keeps its slot until its thread is done with it or is gone.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { DeadlineList, DeadlineNode } from '../time/deadlines.ts';
import type { Lane } from './lanes.ts';
import { Mark } from './protocol.ts';
import type { ExecRequest } from './types.ts';

/**
 * Where a call is: in our wait queue, sent to a thread's lane (in a message, in the thread's inbox
 * or running: the start mark says which), or done (the thread let go of it, or is gone).
 */
export type Phase = 'queued' | 'sent' | 'done';

/** What happens when one of a call's timers fires or its caller aborts (call-timers.ts). */
export interface CallOwner {
  /** The call's own timer: its run timeout, or (once settled while running) its abort grace. */
  expired(call: PoolCall): void;
  /** Its queue timeout (time in our queue and in the thread's inbox). */
  queueExpired(call: PoolCall): void;
  shutdown(call: PoolCall): void;
  /** Its caller's signal aborted. */
  aborted(call: PoolCall): void;
}

/** A call's queue-timeout node (the call itself is the node of its run timeout and grace). */
export class QueueWait implements DeadlineNode {
  readonly call: PoolCall;
  dlAt = 0;
  dlPrev: DeadlineNode | null = null;
  dlNext: DeadlineNode | null = null;
  dlList: DeadlineList | null = null;

  constructor(call: PoolCall) {
    this.call = call;
  }

  expire(): void {
    this.call.owner.queueExpired(this.call);
  }

  shutdown(): void {}
}

export class PoolCall implements DeadlineNode {
  readonly owner: CallOwner;
  readonly handler: string;
  readonly args: readonly unknown[];
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly transferList: readonly TransferListItem[] | undefined;
  readonly promise: Promise<unknown>;
  resolve!: (value: unknown) => void;
  reject!: (error: unknown) => void;

  phase: Phase = 'queued';
  settled = false;
  slot = -1;
  /** The lane (thread) it was sent to. */
  lane: Lane | undefined;
  /** The worker said it began late (after waiting in the inbox): its run timeout restarted then. */
  began = false;
  /**
   * Its run timeout passed while the worker said it began late but its `began` notice had not
   * arrived: timed out from the notice, or at once if the thread turns out to be stuck.
   */
  awaitingBegan = false;
  /** Taken back before its thread began it; the thread lets go of it without running it. */
  withdrawn = false;
  /** Settled (timeout, abort) while its thread still has it: its abort grace is running. */
  overdue = false;
  /** What it was settled with while its thread had it (named when it turns out to hang the thread). */
  error: unknown;
  /** Its queue-timeout node, when the pool has a queue timeout. */
  queueWait: QueueWait | undefined;
  /** Times it went back to the queue because its thread died before starting it. */
  requeues = 0;
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

  /**
   * Hands the caller over to a fresh call for the same work (its thread retired before it began)
   * and turns this one into a ghost that only holds its slot until that thread lets go of it.
   */
  detach(): PoolCall {
    const next = new PoolCall(this.owner, this);
    next.resolve = this.resolve;
    next.reject = this.reject;
    next.requeues = this.requeues + 1;
    this.settled = true;
    this.#release();
    return next;
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
 * Calls sent to threads, by slot. Each slot has an Int32 start mark in a SharedArrayBuffer
 * (protocol.ts `Mark`): the worker swaps it to "started" when the call begins, the main thread to
 * "withdrawn" when the caller gives up first; only one of them wins. When a thread dies, the marks
 * say which of its calls never ran (they go back to the queue) and which were running.
 */
export class SlotTable {
  readonly buffer: SharedArrayBuffer;
  readonly marks: Int32Array;
  readonly calls: (PoolCall | undefined)[];
  readonly #free: number[] = [];
  used = 0;

  constructor(capacity: number) {
    this.buffer = new SharedArrayBuffer(capacity * Int32Array.BYTES_PER_ELEMENT);
    this.marks = new Int32Array(this.buffer);
    this.calls = new Array<PoolCall | undefined>(capacity).fill(undefined);
    for (let i = capacity - 1; i >= 0; i--) this.#free.push(i);
  }

  get capacity(): number {
    return this.calls.length;
  }

  take(call: PoolCall): number {
    const slot = this.#free.pop();
    if (slot === undefined) throw new Error('breakwater: no free slot (capacity accounting is broken)');
    this.marks[slot] = Mark.NotStarted;
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

  /** The worker began the call (or is about to: it won the mark). */
  hasStarted(call: PoolCall): boolean {
    return call.slot >= 0 && Atomics.load(this.marks, call.slot) > 0;
  }

  /** Began as soon as it arrived (its run timeout, armed when it was sent, stands). */
  startedOnArrival(call: PoolCall): boolean {
    return call.slot >= 0 && Atomics.load(this.marks, call.slot) === Mark.Started;
  }

  /** Takes back a call the worker has not begun: true if it never will. */
  withdraw(call: PoolCall): boolean {
    if (call.slot < 0) return false;
    const was = Atomics.compareExchange(this.marks, call.slot, Mark.NotStarted, Mark.Withdrawn);
    return was === Mark.NotStarted || was === Mark.Withdrawn;
  }
}
