/**
 * Repro for the soak's "inline/hang ended with value": an inline service with callTimeoutMs 10
 * under the soak's inline mix (64 callers; ok, failing, and 0.2% "hang" calls that answer at
 * 25 ms; outages that open the breaker every few thousand calls, openMs 20). Every hang call
 * should reject ERR_CALL_TIMEOUT at ~10 ms; the script counts those that resolve with their late
 * value instead, and how late.
 *   node --import tsx bench/profile/late-deadline.ts [calls=200000]
 */
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../src/index.ts';

const calls = Number(process.argv[2] ?? 200_000);
const sup = new Supervisor();
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
let hangs = 0;
let late = 0;
const lateBy: number[] = [];
const lane = async (): Promise<void> => {
  while (issued < calls) {
    const i = issued++;
    const r = (Math.imul(i, 2654435761) >>> 0) % 10_000;
    const outage = Math.floor(i / 4_000) % 3 === 2;
    const hang = r < 20;
    const fail = !hang && r < (outage ? 6_000 : 500);
    const t0 = performance.now();
    if (hang) hangs++;
    try {
      await sup.run('inline', () =>
        hang
          ? new Promise<number>((resolve) => setTimeout(() => resolve(i), 25))
          : fail
            ? Promise.reject(boom)
            : Promise.resolve(i),
      );
      if (hang) {
        late++;
        lateBy.push(performance.now() - t0);
      }
    } catch {}
  }
};
await Promise.all(Array.from({ length: 64 }, lane));
const ms = lateBy.map((x) => x.toFixed(1)).join(', ');
console.log(
  `${calls} calls, ${hangs} hang calls: ${late} resolved with their late value${late > 0 ? ` (after ${ms} ms)` : ''}`,
);
await sup.close();
