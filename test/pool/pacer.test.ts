/**
 * The pool's adaptive concurrency (workers/pacer.ts): while calls keep a thread's event loop
 * saturated it runs only about 100 ms of their measured work at once, within
 * `concurrentTasksPerWorker`; with room on the loop and calls waiting, it raises the cap again.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Pacer } from '../../workers/pacer.ts';
import { makePool } from './helpers.ts';

/** A pacer on a hand-driven clock, with helpers to finish calls of a given run time. */
function pacer(limit: number) {
  let now = 0;
  const p = new Pacer(limit, 64, () => now);
  return {
    p,
    /** `n` synchronous calls ran. */
    sync(n: number): void {
      for (let i = 0; i < n; i++) p.ranSync();
    },
    /** `n` asynchronous calls that each ran `ms`. */
    async(n: number, ms: number): void {
      for (let i = 0; i < n; i++) {
        p.started(i);
        now += ms;
        p.ended(i);
        now -= ms;
      }
    },
  };
}

describe('Pacer', () => {
  it('starts at the limit and keeps it for cheap calls, even on a saturated loop', () => {
    const { p, sync } = pacer(16);
    expect(p.cap).toBe(16);
    for (let beat = 0; beat < 10; beat++) {
      sync(500); // 0.2 ms of loop per call
      p.tick(100, 1, 16, true);
      expect(p.cap).toBe(16);
    }
  });

  it('halves what runs while the loop is saturated and nothing has finished', () => {
    const { p } = pacer(16);
    const caps: number[] = [];
    for (let beat = 0; beat < 5; beat++) {
      p.tick(100, 1, 16, true);
      caps.push(p.cap);
    }
    expect(caps).toEqual([8, 4, 2, 1, 1]);
  });

  it('never goes below what ~100 ms of measured work allows while saturated', () => {
    const { p, async } = pacer(16);
    const caps: number[] = [];
    for (let beat = 0; beat < 4; beat++) {
      async(4, 100); // 25 ms of loop per call: 4 fit in 100 ms
      p.tick(100, 1, 16, true);
      caps.push(p.cap);
    }
    expect(caps).toEqual([8, 4, 4, 4]);
  });

  it('weighs the cost over several beats, so long calls finishing together do not read as cheap', () => {
    const { p, async } = pacer(16);
    p.tick(100, 1, 12, true);
    p.tick(100, 1, 12, true);
    p.tick(100, 1, 12, true);
    // The 12 calls finish in the fourth beat: ~21 ms each over the weighted four beats
    // (1 + 0.7 + 0.49 + 0.343 = 2.533 beats of 100 ms), not 100/12 ms.
    async(12, 400);
    p.tick(100, 1, 0, true);
    expect(p.cap).toBe(Math.floor(100 / (253.3 / 12)));
    expect(p.cap).toBe(4);
  });

  it('with room and calls waiting, heavy calls get one more slot per beat while they stay as fast', () => {
    const { p, async } = pacer(16);
    async(5, 50); // 20 ms of loop per call: 5 fit
    p.tick(100, 1, 16, true);
    expect(p.cap).toBe(8); // saturated: halved (8 > 5)
    async(5, 50);
    p.tick(100, 1, 8, true);
    expect(p.cap).toBe(5);
    async(2, 50);
    p.tick(40, 0.4, 5, false); // room, but nothing waits
    expect(p.cap).toBe(5);
    async(2, 60); // room, calls wait, run time within 1.5x the best: one more
    p.tick(40, 0.4, 5, true);
    expect(p.cap).toBe(6);
    async(2, 70);
    p.tick(85, 0.85, 6, true); // between the thresholds: unchanged
    expect(p.cap).toBe(6);
    async(2, 90); // slower than 1.5x the best (50 ms): no more
    p.tick(40, 0.4, 6, true);
    expect(p.cap).toBe(6);
  });

  it('shrinks in proportion when heavy calls take more than twice their best time', () => {
    const { p, async } = pacer(16);
    async(5, 50);
    p.tick(100, 1, 16, true);
    async(5, 50);
    p.tick(100, 1, 8, true);
    expect(p.cap).toBe(5);
    for (let beat = 0; beat < 5; beat++) {
      async(2, 40); // fast, cheap on the loop: room to grow
      p.tick(20, 0.2, p.cap, true);
    }
    const grown = p.cap;
    expect(grown).toBeGreaterThan(5);
    async(2, 200); // now 5x slower: the CPU is busy elsewhere
    p.tick(20, 0.2, grown, true);
    expect(p.cap).toBe(Math.floor((grown * 1.5 * 40) / 200));
    async(2, 70); // within 2x: holds
    p.tick(20, 0.2, p.cap, false);
    expect(p.cap).toBe(Math.floor((grown * 1.5 * 40) / 200));
  });

  it('goes straight back to the limit once cheap calls are measured', () => {
    const { p, async, sync } = pacer(8);
    async(4, 100);
    p.tick(100, 1, 8, true);
    expect(p.cap).toBe(4);
    sync(200);
    p.tick(20, 0.2, 4, true);
    expect(p.cap).toBe(8);
  });

  it('always lets 1..limit calls run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(
          fc.record({
            finished: fc.nat(200),
            runMs: fc.double({ min: 0, max: 2_000, noNaN: true }),
            active: fc.double({ min: 0, max: 100, noNaN: true }),
            running: fc.nat(64),
            waiting: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (limit, beats) => {
          const { p, async } = pacer(limit);
          for (const b of beats) {
            async(b.finished, b.runMs);
            p.tick(b.active, b.active / 100, b.running, b.waiting);
            expect(Number.isInteger(p.cap)).toBe(true);
            expect(p.cap).toBeGreaterThanOrEqual(1);
            expect(p.cap).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });
});

describe('a thread whose calls keep its event loop busy', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, concurrentTasksPerWorker: 8 });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('runs fewer of them at once than its concurrency', async () => {
    // 24 calls of 40 ms of loop time each, made at once: the first ones begin together (nothing
    // is measured yet); while they saturate the loop the cap comes down to ~100 ms of their work
    // (2; 1 for a while on a machine so busy that the loop saturates before anything finished).
    const seen = (await Promise.all(Array.from({ length: 24 }, () => t.call('chew', [40, 4])))) as number[];
    expect(seen).toHaveLength(24);
    expect(Math.max(...seen.slice(12))).toBeLessThanOrEqual(3);
  });

  it('goes back to its full concurrency for calls that wait on I/O', async () => {
    // The same thread, right after: calls that mostly wait (50 ms on a timer) leave the loop
    // idle, so the cap climbs back while they queue up.
    const seen = (await Promise.all(
      Array.from({ length: 40 }, () => t.call('chew', [1, 1, 50])),
    )) as number[];
    expect(seen[0]).toBeLessThanOrEqual(3);
    expect(Math.max(...seen)).toBe(8);
  });
});
