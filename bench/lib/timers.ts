/**
 * Counting live timer handles, unref'd ones included. `process.getActiveResourcesInfo()` lists only
 * timers that keep the loop alive (breakwater unrefs its timers, so it would always say 0), and an
 * async_hooks `init` hook turns on promise hooks, which slows the calls around it 50-fold. So the
 * global timer functions are wrapped while counting: every library here (breakwater's system
 * clock, opossum) looks `setTimeout`/`setInterval` up on the global object at call time.
 */

export interface TimerCounter {
  /** Timers created since `install()` that have neither fired (one-shots) nor been cleared. */
  live(): number;
  /** Puts the original functions back. */
  uninstall(): void;
}

/** Wraps the global timer functions and counts live timers until `uninstall()`. */
export function countTimers(): TimerCounter {
  const g = globalThis as unknown as Record<string, unknown>;
  const original = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  };
  const live = new Set<unknown>();
  g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original.setTimeout(
      (...a: unknown[]) => {
        live.delete(t);
        fn(...a);
      },
      ms,
      ...args,
    );
    live.add(t);
    return t;
  };
  g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original.setInterval(fn, ms, ...args);
    live.add(t);
    return t;
  };
  g.clearTimeout = (t: unknown) => {
    live.delete(t);
    original.clearTimeout(t as NodeJS.Timeout);
  };
  g.clearInterval = (t: unknown) => {
    live.delete(t);
    original.clearInterval(t as NodeJS.Timeout);
  };
  return {
    live: () => live.size,
    uninstall() {
      g.setTimeout = original.setTimeout;
      g.clearTimeout = original.clearTimeout;
      g.setInterval = original.setInterval;
      g.clearInterval = original.clearInterval;
    },
  };
}

/** Timeouts that keep the event loop alive (ref'd), as Node reports them. */
export function refTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
