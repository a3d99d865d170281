/**
 * late-deadline.ts with a tracing clock: when a hang call resolves with its late value, prints the
 * clock timers breakwater had armed then (due times relative to the call's start).
 *   node --import tsx bench/profile/late-deadline-trace.ts [calls=200000]
 */
import { performance } from 'node:perf_hooks';
import { type Clock, Supervisor, systemClock } from '../../src/index.ts';

const armed = new Map<unknown, { due: number; armedAt: number }>();
let fired = 0;
let early = 0;
let earliest = 0;
const clock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const entry = { due: Date.now() + ms, armedAt: Date.now() };
    const h = systemClock.setTimeout(() => {
      armed.delete(h);
      fired++;
      // Node timers count from the loop's cached time; breakwater compares against Date.now().
      const before = entry.due - Date.now();
      if (before > 0) {
        early++;
        earliest = Math.max(earliest, before);
      }
      fn();
    }, ms);
    armed.set(h, entry);
    return h;
  },
  clearTimeout(h) {
    armed.delete(h);
    systemClock.clearTimeout(h);
  },
};
const calls = Number(process.argv[2] ?? 200_000);
const sup = new Supervisor({ clock });
sup.register('inline', {
  breaker: {
    callTimeoutMs: 10,
    openMs: 20,
    trip: { kind: 'consecutive', threshold: 5 },
    halfOpen: { maxCalls: 2, successThreshold: 2 },
  },
});
const boom = new Error('down');
let issued = 0;
let reports = 0;
const lane = async (): Promise<void> => {
  while (issued < calls) {
    const i = issued++;
    const r = (Math.imul(i, 2654435761) >>> 0) % 10_000;
    const outage = Math.floor(i / 4_000) % 3 === 2;
    const hang = r < 20;
    const fail = !hang && r < (outage ? 6_000 : 500);
    const start = Date.now();
    const t0 = performance.now();
    const firedBefore = fired;
    try {
      await sup.run('inline', () =>
        hang
          ? new Promise<number>((resolve) => setTimeout(() => resolve(i), 25))
          : fail
            ? Promise.reject(boom)
            : Promise.resolve(i),
      );
      if (hang && reports++ < 5) {
        const timers = [...armed.values()]
          .map((t) => `due ${t.due - start} ms (armed at ${t.armedAt - start})`)
          .join('; ');
        console.log(
          `call ${i}: value after ${(performance.now() - t0).toFixed(1)} ms; clock timers fired meanwhile: ${fired - firedBefore}; armed now: ${timers || 'none'}; state ${sup.state('inline')}`,
        );
      }
    } catch {}
  }
};
await Promise.all(Array.from({ length: 64 }, lane));
console.log(
  `${fired} clock timers fired, ${early} of them before their due time by Date.now() (up to ${earliest} ms early)`,
);
await sup.close();
