/**
 * The pool's adaptive concurrency (workers/pacer.ts): while calls keep a thread's event loop
 * saturated it runs only about 100 ms of their measured work at once, within
 * `concurrentTasksPerWorker`; with room on the loop and calls waiting, it raises the cap again.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Pacer } from '../../workers/pacer.ts';
import { makePool } from './helpers.ts';

describe('Pacer', () => {
  it('starts at the limit and keeps it for cheap calls, even on a saturated loop', () => {
    const p = new Pacer(16);
    expect(p.cap).toBe(16);
    for (let beat = 0; beat < 10; beat++) {
      p.finished = 500; // 0.2 ms of loop per call
      p.tick(100, 1, 16, true);
      expect(p.cap).toBe(16);
    }
  });

  it('halves what runs while the loop is saturated and nothing has finished', () => {
    const p = new Pacer(16);
    const caps: number[] = [];
    for (let beat = 0; beat < 5; beat++) {
      p.tick(100, 1, 16, true);
      caps.push(p.cap);
    }
    expect(caps).toEqual([8, 4, 2, 1, 1]);
  });

  it('never goes below what ~100 ms of measured work allows while saturated', () => {
    const p = new Pacer(16);
    const caps: number[] = [];
    for (let beat = 0; beat < 4; beat++) {
      p.finished = 4; // 25 ms of loop per call: 4 fit in 100 ms
      p.tick(100, 1, 16, true);
      caps.push(p.cap);
    }
    expect(caps).toEqual([8, 4, 4, 4]);
  });

  it('weighs the cost over several beats, so long calls finishing together do not read as cheap', () => {
    const p = new Pacer(16);
    p.tick(100, 1, 12, true);
    p.tick(100, 1, 12, true);
    p.tick(100, 1, 12, true);
    // The 12 calls finish in the fourth beat: ~21 ms each over the weighted four beats
    // (1 + 0.7 + 0.49 + 0.343 = 2.533 beats of 100 ms), not 100/12 ms.
    p.finished = 12;
    p.tick(100, 1, 0, true);
    expect(p.cap).toBe(Math.floor(100 / (253.3 / 12)));
    expect(p.cap).toBe(4);
  });

  it('raises the cap when the loop has room and calls wait, and only then', () => {
    const p = new Pacer(8);
    p.finished = 4;
    p.tick(100, 1, 8, true);
    expect(p.cap).toBe(4);
    p.tick(30, 0.3, 4, false); // room, but nothing waits
    expect(p.cap).toBe(4);
    p.tick(30, 0.3, 4, true); // by one (the measured cost alone says 2)
    expect(p.cap).toBe(5);
    p.tick(85, 0.85, 5, true); // between the thresholds: unchanged
    expect(p.cap).toBe(5);
    p.finished = 100; // cheap calls now: straight to what fits
    p.tick(20, 0.2, 5, true);
    expect(p.cap).toBe(8);
  });

  it('always lets 1..limit calls run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.array(
          fc.record({
            finished: fc.nat(1000),
            active: fc.double({ min: 0, max: 100, noNaN: true }),
            running: fc.nat(64),
            waiting: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (limit, beats) => {
          const p = new Pacer(limit);
          for (const b of beats) {
            p.finished = b.finished;
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
