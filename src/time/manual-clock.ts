/**
 * A clock driven by hand, for tests (ours and users'): time moves only when `advance()` or `set()`
 * is called, and due timers fire in order, each seeing `now()` equal to its own due time.
 */
import type { Clock, TimerHandle } from './clock.ts';

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as ManualTimer;
    if (timer === undefined || timer === null || timer.cancelled) return;
    timer.cancelled = true;
    const i = this.#timers.indexOf(timer);
    if (i >= 0) this.#timers.splice(i, 1);
  }

  /** Timers still pending. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance needs ms >= 0, got ${ms}`);
    this.#runUntil(this.#now + ms);
  }

  /**
   * Sets the time. Moving forward fires due timers; moving backward (a clock jump) fires nothing
   * and leaves timers at their absolute due times.
   */
  set(time: number): void {
    if (time <= this.#now) {
      this.#now = time;
      return;
    }
    this.#runUntil(time);
  }

  /**
   * Like `advance`, but lets promise callbacks run between timers, so work scheduled by one timer's
   * consequences (a promise settling) is seen before the next timer fires.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#fire(next);
    }
    this.#now = target;
    await flushMicrotasks();
  }

  #runUntil(target: number): void {
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#fire(next);
    }
    this.#now = target;
  }

  #nextDue(target: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers) {
      if (
        t.at <= target &&
        (best === undefined || t.at < best.at || (t.at === best.at && t.seq < best.seq))
      ) {
        best = t;
      }
    }
    return best;
  }

  #fire(timer: ManualTimer): void {
    this.#timers.splice(this.#timers.indexOf(timer), 1);
    if (timer.at > this.#now) this.#now = timer.at;
    timer.cancelled = true;
    timer.fn();
  }
}

/** Lets queued promise callbacks run (a macrotask turn), without waiting on real time. */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
