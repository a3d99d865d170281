/**
 * One scheduler serves every breaker: a binary min-heap of due times behind a single clock timer
 * (opossum keeps an interval per breaker; 100,000 breakers here still hold one timer handle).
 * Entries can be cancelled in O(log n); the clock timer is re-armed only when the earliest entry
 * changes.
 */
import { MAX_MS } from '../defaults.ts';
import type { Clock, TimerHandle } from './clock.ts';

/** A scheduled callback. Keep it to cancel; `active` turns false once it fired or was cancelled. */
export interface ScheduledTask {
  readonly at: number;
  readonly active: boolean;
}

interface Entry extends ScheduledTask {
  at: number;
  seq: number;
  index: number;
  active: boolean;
  fn: () => void;
}

/**
 * Longest delay one clock timer is armed for. Node's timers take at most 2^31-1 ms and turn a
 * longer delay into 1 ms (with a TimeoutOverflowWarning): a due time further away is reached in
 * steps of this length, each step a single timer that finds nothing due and re-arms.
 */
export const MAX_TIMER_MS = MAX_MS;

export class Scheduler {
  readonly #clock: Clock;
  readonly #heap: Entry[] = [];
  #seq = 0;
  #timer: TimerHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #firing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Entries waiting to fire. */
  get size(): number {
    return this.#heap.length;
  }

  /** Underlying clock timers currently armed: 0 or 1, whatever the number of entries. */
  get armedTimers(): number {
    return this.#timer === undefined ? 0 : 1;
  }

  /** Runs `fn` at clock time `at` (or as soon as possible if `at` has passed). */
  schedule(at: number, fn: () => void): ScheduledTask {
    // A NaN or infinite due time would sit at the top of the heap and starve every other entry.
    if (!Number.isFinite(at)) throw new RangeError(`Scheduler.schedule needs a finite time, got ${at}`);
    const entry: Entry = { at, seq: this.#seq++, index: this.#heap.length, active: true, fn };
    this.#heap.push(entry);
    this.#up(entry.index);
    if (!this.#firing) this.#arm();
    return entry;
  }

  /** Cancels a task; returns false if it had already fired or been cancelled. */
  cancel(task: ScheduledTask): boolean {
    const entry = task as Entry;
    if (!entry.active) return false;
    entry.active = false;
    this.#remove(entry.index);
    if (!this.#firing) this.#arm();
    return true;
  }

  /** Cancels everything and releases the clock timer. */
  clear(): void {
    for (const e of this.#heap) e.active = false;
    this.#heap.length = 0;
    this.#disarm();
  }

  /** Fires every entry that is due now. Called by the clock timer; safe to call at any time. */
  runDue(): void {
    this.#firing = true;
    try {
      for (;;) {
        const top = this.#heap[0];
        if (top === undefined || top.at > this.#clock.now()) break;
        top.active = false;
        this.#remove(0);
        top.fn();
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) {
      this.#disarm();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt === top.at) return;
    this.#disarm();
    this.#timerAt = top.at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.at - this.#clock.now()));
    this.#timer = this.#clock.setTimeout(this.#onTimer, delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    this.runDue();
  };

  #remove(index: number): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || index === heap.length) return;
    heap[index] = last;
    last.index = index;
    this.#down(index);
    this.#up(last.index);
  }

  #less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!this.#less(entry, parent)) break;
      heap[index] = parent;
      parent.index = index;
      index = parentIndex;
    }
    heap[index] = entry;
    entry.index = index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const entry = heap[index]!;
    for (;;) {
      const l = 2 * index + 1;
      if (l >= n) break;
      const r = l + 1;
      let child = l;
      if (r < n && this.#less(heap[r]!, heap[l]!)) child = r;
      const c = heap[child]!;
      if (!this.#less(c, entry)) break;
      heap[index] = c;
      c.index = index;
      index = child;
    }
    heap[index] = entry;
    entry.index = index;
  }
}
