/**
 * The clock every piece of logic reads. Nothing in breakwater calls Date.now() or setTimeout
 * directly: tests inject a ManualClock and drive time by hand, never by sleeping.
 */
// The module's `performance`: the global of that name is a lazy getter, read on every call.
import { performance } from 'node:perf_hooks';

/** An opaque handle returned by `Clock.setTimeout`. */
export type TimerHandle = unknown;

/**
 * The time source of a supervisor: {@link systemClock} by default, a `ManualClock` in tests.
 * Everything breakwater schedules (reset timers, deadlines, heartbeats) goes through one.
 */
export interface Clock {
  /**
   * Milliseconds, possibly fractional. The system clock is monotonic (performance.now) anchored at
   * the wall-clock time the process started, so timestamps read as epoch ms and durations are exact.
   */
  now(): number;
  /** Calls `fn` after `ms`. Implementations must not keep the process alive (unref). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

const origin = performance.timeOrigin;

/** Monotonic epoch-ms time and Node timers, unref'd so a forgotten supervisor never keeps a process alive. */
export const systemClock: Clock = {
  now: () => origin + performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
