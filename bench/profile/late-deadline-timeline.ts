/**
 * Timeline of breakwater's clock timers around the first hang call that resolves with its late
 * value (same load as late-deadline.ts): when each timer was armed, for when, and when it fired.
 *   node --import tsx bench/profile/late-deadline-timeline.ts
 */
import { performance } from 'node:perf_hooks';
import { type Clock, Supervisor, systemClock } from '../../src/index.ts';

const log: string[] = [];
const at = (): string => performance.now().toFixed(1);
let id = 0;
const clock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const n = ++id;
    log.push(`${at()} arm #${n} in ${ms} ms`);
    return systemClock.setTimeout(() => {
      log.push(`${at()} fire #${n}`);
      fn();
    }, ms);
  },
  clearTimeout(h) {
    log.push(`${at()} clear`);
    systemClock.clearTimeout(h);
  },
};
const sup = new Supervisor({ clock });
sup.register('inline', {
  breaker: {
    callTimeoutMs: 10,
    openMs: 20,
    trip: { kind: 'consecutive', threshold: 5 },
    halfOpen: { maxCalls: 2, successThreshold: 2 },
  },
});
sup.on('stateChange', (e) => log.push(`${at()} ${e.from} -> ${e.to}`));
const boom = new Error('down');
let issued = 0;
let done = false;
const lane = async (): Promise<void> => {
  while (issued < 200_000 && !done) {
    const i = issued++;
    const r = (Math.imul(i, 2654435761) >>> 0) % 10_000;
    const outage = Math.floor(i / 4_000) % 3 === 2;
    const hang = r < 20;
    const fail = !hang && r < (outage ? 6_000 : 500);
    if (hang) log.push(`${at()} hang call ${i} starts`);
    try {
      await sup.run('inline', () =>
        hang
          ? new Promise<number>((resolve) =>
              setTimeout(() => {
                log.push(`${at()} work of ${i} answers`);
                resolve(i);
              }, 25),
            )
          : fail
            ? Promise.reject(boom)
            : Promise.resolve(i),
      );
      if (hang && !done) {
        done = true;
        log.push(`${at()} hang call ${i} RESOLVED WITH ITS VALUE`);
        const k = log.findIndex((l) => l.includes(`hang call ${i} starts`));
        console.log(log.slice(Math.max(0, k - 8)).join('\n'));
      }
    } catch (e) {
      if (hang) log.push(`${at()} hang call ${i} -> ${(e as { code?: string }).code}`);
    }
  }
};
await Promise.all(Array.from({ length: 64 }, lane));
await sup.close();
