/**
 * The shared Scheduler: a min-heap of due times behind one clock timer. Order, cancellation,
 * re-entrancy and the one-timer promise, with a ManualClock.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { type ScheduledTask, Scheduler } from '../../src/time/scheduler.ts';

function setup(start = 0) {
  const clock = new ManualClock(start);
  const scheduler = new Scheduler(clock);
  const fired: [string, number][] = [];
  const at = (time: number, name: string, extra?: () => void): ScheduledTask =>
    scheduler.schedule(time, () => {
      fired.push([name, clock.now()]);
      extra?.();
    });
  return { clock, scheduler, fired, at };
}

describe('Scheduler order', () => {
  it('fires in due order, ties in scheduling order, each at its own time', () => {
    const { clock, fired, at } = setup();
    at(30, 'c');
    at(10, 'a');
    at(20, 'b1');
    at(20, 'b2');
    at(10, 'a2');
    clock.advance(100);
    expect(fired).toEqual([
      ['a', 10],
      ['a2', 10],
      ['b1', 20],
      ['b2', 20],
      ['c', 30],
    ]);
  });

  it('matches a sorted reference for random schedules and cancellations (heap property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1_000 }), fc.boolean()), { maxLength: 200 }),
        (entries) => {
          const { clock, scheduler, fired, at } = setup();
          const tasks = entries.map(([time], i) => at(time, String(i)));
          entries.forEach(([, cancel], i) => {
            if (cancel) expect(scheduler.cancel(tasks[i]!)).toBe(true);
          });
          const expected = entries
            .map(([time, cancel], i) => ({ time, cancel, i }))
            .filter((e) => !e.cancel)
            .sort((x, y) => x.time - y.time || x.i - y.i)
            .map((e): [string, number] => [String(e.i), e.time]);
          expect(scheduler.size).toBe(expected.length);
          expect(clock.pendingTimers).toBe(expected.length > 0 ? 1 : 0);
          clock.advance(1_000);
          expect(fired).toEqual(expected);
          expect([scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([0, 0, 0]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a due time already in the past fires on the next turn of the clock', () => {
    const { clock, fired, at } = setup(500);
    at(100, 'past');
    expect(fired).toEqual([]);
    clock.advance(0);
    expect(fired).toEqual([['past', 500]]);
  });
});

describe('Scheduler cancel', () => {
  it('returns true once; a cancelled or fired task is inactive and cancel returns false', () => {
    const { clock, scheduler, fired, at } = setup();
    const a = at(10, 'a');
    const b = at(20, 'b');
    expect([a.active, b.active]).toEqual([true, true]);
    expect(scheduler.cancel(a)).toBe(true);
    expect(scheduler.cancel(a)).toBe(false);
    expect(a.active).toBe(false);
    clock.advance(20);
    expect(fired).toEqual([['b', 20]]);
    expect(b.active).toBe(false);
    expect(scheduler.cancel(b)).toBe(false);
  });

  it('cancelling the earliest task re-arms the clock timer for the next one', () => {
    const { clock, scheduler, fired, at } = setup();
    const first = at(10, 'first');
    at(50, 'second');
    scheduler.cancel(first);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(49);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual([['second', 50]]);
  });

  it('cancelling everything releases the clock timer; clear() too', () => {
    const { clock, scheduler, at } = setup();
    const tasks = [at(10, 'a'), at(20, 'b'), at(30, 'c')];
    for (const t of tasks) scheduler.cancel(t);
    expect([scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([0, 0, 0]);
    const more = [at(10, 'a'), at(20, 'b')];
    scheduler.clear();
    expect([scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([0, 0, 0]);
    expect(more.map((t) => t.active)).toEqual([false, false]);
  });
});

describe('Scheduler holds one clock timer', () => {
  it('for 100,000 entries: armedTimers 1 and one pending clock timer; they all fire in order', () => {
    const { clock, scheduler } = setup();
    let count = 0;
    let last = -1;
    let ordered = true;
    for (let i = 0; i < 100_000; i++) {
      const time = (i * 7_919) % 100_003;
      scheduler.schedule(time, () => {
        count++;
        if (time < last) ordered = false;
        last = time;
      });
    }
    expect([scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([100_000, 1, 1]);
    clock.advance(100_003);
    expect([count, ordered, scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([
      100_000,
      true,
      0,
      0,
      0,
    ]);
  });

  it('never more than one, whatever the sequence of schedule/cancel/advance', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('schedule' as const), at: fc.integer({ min: 0, max: 500 }) }),
            fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }),
            fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 200 }) }),
          ),
          { maxLength: 60 },
        ),
        (ops) => {
          const { clock, scheduler } = setup();
          const live: ScheduledTask[] = [];
          for (const op of ops) {
            if (op.op === 'schedule') live.push(scheduler.schedule(clock.now() + op.at, () => {}));
            else if (op.op === 'cancel' && live.length > 0) scheduler.cancel(live[op.pick % live.length]!);
            else if (op.op === 'advance') clock.advance(op.ms);
            expect(clock.pendingTimers).toBe(scheduler.size > 0 ? 1 : 0);
            expect(scheduler.armedTimers).toBe(scheduler.size > 0 ? 1 : 0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Scheduler.runDue', () => {
  it('is safe to call at any time: nothing due, nothing fires, the timer stays armed', () => {
    const { clock, scheduler, fired, at } = setup();
    at(100, 'later');
    scheduler.runDue();
    scheduler.runDue();
    expect(fired).toEqual([]);
    expect([scheduler.size, clock.pendingTimers]).toEqual([1, 1]);
    clock.advance(100);
    expect(fired).toEqual([['later', 100]]);
  });

  it('runs what is due when called by hand (a clock whose timer is late), and the timer then finds nothing', () => {
    let now = 0;
    const manual = new ManualClock(0);
    const lagging = {
      now: () => now,
      setTimeout: manual.setTimeout.bind(manual),
      clearTimeout: manual.clearTimeout.bind(manual),
    };
    const scheduler = new Scheduler(lagging);
    const fired: number[] = [];
    scheduler.schedule(10, () => fired.push(now));
    scheduler.schedule(20, () => fired.push(now));
    now = 15;
    scheduler.runDue();
    expect(fired).toEqual([15]);
    now = 20;
    manual.advance(20);
    expect(fired).toEqual([15, 20]);
    expect(manual.pendingTimers).toBe(0);
  });

  it('a task scheduled by a task for now runs in the same turn; one for later is armed', () => {
    const { clock, fired, at } = setup();
    at(10, 'a', () => {
      at(10, 'same instant');
      at(15, 'later');
    });
    clock.advance(10);
    expect(fired).toEqual([
      ['a', 10],
      ['same instant', 10],
    ]);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(5);
    expect(fired.at(-1)).toEqual(['later', 15]);
  });

  it('a task cancelled by an earlier task of the same turn does not run', () => {
    const { clock, scheduler, fired, at } = setup();
    let victim: ScheduledTask | undefined;
    at(10, 'killer', () => {
      expect(scheduler.cancel(victim!)).toBe(true);
    });
    victim = at(10, 'victim');
    at(10, 'bystander');
    clock.advance(10);
    expect(fired.map(([name]) => name)).toEqual(['killer', 'bystander']);
  });

  it('a throwing task loses no other task: the rest of the turn runs on the re-armed timer', () => {
    const { clock, scheduler, fired, at } = setup();
    at(10, 'first');
    at(10, 'thrower', () => {
      throw new Error('task bug');
    });
    at(10, 'after');
    at(20, 'later');
    expect(() => clock.advance(10)).toThrow('task bug');
    expect(fired.map(([name]) => name)).toEqual(['first', 'thrower']);
    expect([scheduler.size, scheduler.armedTimers, clock.pendingTimers]).toEqual([2, 1, 1]);
    clock.advance(10);
    expect(fired.map(([name]) => name)).toEqual(['first', 'thrower', 'after', 'later']);
  });
});
