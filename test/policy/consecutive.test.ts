import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsecutivePolicy } from '../../src/policy/consecutive.ts';
import type { TripReason, WindowStats } from '../../src/policy/types.ts';
import {
  actions,
  agree,
  GARBAGE,
  type Outcome,
  play,
  type Reference,
  record,
  replay,
  type Step,
  startTime,
  statsOf,
  trailingFailures,
} from './harness.ts';

const make = (threshold: number, windowMs: number) =>
  new ConsecutivePolicy({ kind: 'consecutive', threshold, windowMs });
const TRIP = 'failure-threshold';

interface Case {
  readonly name: string;
  readonly threshold: number;
  readonly windowMs: number;
  readonly steps: readonly Step[];
  /** `[calls, failures, slowCalls]` at the end. */
  readonly stats: readonly [number, number, number];
}

const cases: readonly Case[] = [
  {
    name: 'trips on the threshold-th failure in a row',
    threshold: 3,
    windowMs: 1000,
    steps: [
      ['F', 0, null, 1],
      ['F', 10, null, 2],
      ['F', 20, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'a success resets the streak',
    threshold: 3,
    windowMs: 1000,
    steps: [
      ['F', 0, null, 1],
      ['F', 1, null, 2],
      ['S', 2, null, 0],
      ['F', 3, null, 1],
      ['F', 4, null, 2],
      ['F', 5, TRIP, 3],
    ],
    stats: [6, 5, 0],
  },
  {
    name: 'keeps answering while failures continue past the threshold',
    threshold: 2,
    windowMs: 1000,
    steps: [
      ['F', 0, null, 1],
      ['F', 1, TRIP, 2],
      ['F', 2, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'a streak whose first failure is exactly windowMs old still counts',
    threshold: 3,
    windowMs: 1000,
    steps: [
      ['F', 0, null, 1],
      ['F', 500, null, 2],
      ['F', 1000, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'one ms past windowMs the streak restarts at 1, from the current failure',
    threshold: 3,
    windowMs: 1000,
    steps: [
      ['F', 0, null, 1],
      ['F', 500, null, 2],
      ['F', 1001, null, 1],
      ['F', 1500, null, 2],
      ['F', 2001, TRIP, 3],
    ],
    stats: [5, 5, 0],
  },
  {
    name: 'windowMs 0 never forgets a streak',
    threshold: 3,
    windowMs: 0,
    steps: [
      ['F', 0, null, 1],
      ['F', 1e9, null, 2],
      ['F', 2e9, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'a clock that jumps back keeps the streak',
    threshold: 3,
    windowMs: 1000,
    steps: [
      ['F', 5000, null, 1],
      ['F', 100, null, 2],
      ['F', 200, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'slow outcomes count in stats and change nothing else',
    threshold: 2,
    windowMs: 1000,
    steps: [
      ['s', 0, null, 0],
      ['f', 1, null, 1],
      ['S', 2, null, 0],
      ['f', 3, null, 1],
      ['F', 4, TRIP, 2],
    ],
    stats: [5, 3, 3],
  },
  {
    name: 'threshold 1 trips on any failure',
    threshold: 1,
    windowMs: 1000,
    steps: [
      ['S', 0, null, 0],
      ['F', 1, TRIP, 1],
    ],
    stats: [2, 1, 0],
  },
];

describe('ConsecutivePolicy', () => {
  it.each(cases)('$name', ({ threshold, windowMs, steps, stats }) => {
    const policy = make(threshold, windowMs);
    expect(replay(policy, steps)).toEqual(steps);
    expect(statsOf(policy, 0)).toEqual(stats);
  });

  it('describes itself: no time needed on success, no slow-call rule', () => {
    const policy = make(5, 60_000);
    expect([policy.kind, policy.needsTimeOnSuccess, policy.slowCallMs]).toEqual([
      'consecutive',
      false,
      undefined,
    ]);
  });

  it('ignores `now` on success', () => {
    const policy = make(2, 10);
    policy.onFailure(false, 0);
    expect(policy.onSuccess(false, Number.NaN)).toBeNull();
    expect(
      play(policy, [
        ['F', 100],
        ['F', 105],
      ]),
    ).toEqual([
      [null, 1],
      [TRIP, 2],
    ]);
  });

  it('reset() forgets the streak and the counts', () => {
    const policy = make(3, 1000);
    play(policy, [
      ['F', 0],
      ['f', 1],
    ]);
    policy.reset(2);
    expect([policy.consecutiveFailures(), statsOf(policy, 2)]).toEqual([0, [0, 0, 0]]);
    expect(
      play(policy, [
        ['F', 3],
        ['F', 4],
        ['F', 5],
      ]),
    ).toEqual([
      [null, 1],
      [null, 2],
      [TRIP, 3],
    ]);
  });

  it('round-trips through JSON: a restored copy makes the same decisions', () => {
    const original = make(3, 1000);
    play(original, [
      ['F', 0],
      ['S', 1],
      ['f', 10],
      ['F', 600],
    ]);
    const copy = make(3, 1000);
    copy.restore(JSON.parse(JSON.stringify(original.toJSON())), 700);
    expect(copy.toJSON()).toEqual(original.toJSON());
    // The streak started at 10: 1010 is within the window, 1011 would restart it.
    const next: [Outcome, number][] = [
      ['F', 1010],
      ['S', 1020],
      ['F', 3000],
    ];
    expect(play(copy, next)).toEqual(play(original, next));
    expect(statsOf(copy, 0)).toEqual(statsOf(original, 0));
  });

  it('ignores snapshot data of the wrong shape or from other options, without throwing', () => {
    const policy = make(3, 1000);
    play(policy, [
      ['F', 0],
      ['F', 1],
    ]);
    const before = policy.toJSON();
    const good = { ...before };
    const bad: unknown[] = [
      ...GARBAGE,
      { ...good, kind: 'failures-in-window' },
      make(4, 1000).toJSON(),
      make(3, 0).toJSON(),
      { ...good, options: { ...good.options, extra: 1 } },
      { ...good, streak: -1 },
      { ...good, streak: 1.5 },
      { ...good, streak: 3 },
      { ...good, failures: 5 },
      { ...good, slowCalls: 3 },
      { ...good, streakStart: null },
      { ...good, streakStart: '0' },
      { ...good, calls: Number.POSITIVE_INFINITY },
    ];
    for (const data of bad) {
      expect(() => policy.restore(data, 2)).not.toThrow();
      expect(policy.toJSON(), JSON.stringify(data)).toEqual(before);
    }
    expect(record(policy, 'F', 2)).toBe(TRIP);
  });

  it('agrees with a brute-force reference over random sequences', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0, 1, 5, 20, 50),
        startTime,
        actions({ step: 15, back: 100, gap: 60 }),
        (threshold, windowMs, start, steps) => {
          agree(() => make(threshold, windowMs), new ConsecutiveReference(threshold, windowMs), steps, start);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Keeps every outcome since the last reset and replays the streak rule over all of them. */
class ConsecutiveReference implements Reference {
  #outcomes: { failed: boolean; slow: boolean; at: number }[] = [];
  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {}

  record(failed: boolean, slow: boolean, at: number): TripReason | null {
    this.#outcomes.push({ failed, slow, at });
    return failed && this.consecutiveFailures() >= this.threshold ? TRIP : null;
  }

  reset(): void {
    this.#outcomes = [];
  }

  stats(): WindowStats {
    const all = this.#outcomes;
    return {
      calls: all.length,
      failures: all.filter((o) => o.failed).length,
      slowCalls: all.filter((o) => o.slow).length,
    };
  }

  /** Within the trailing run of failures, the streak restarts at each failure too far from the start. */
  consecutiveFailures(): number {
    const run = this.#outcomes.slice(this.#outcomes.length - trailingFailures(this.#outcomes));
    let streak = 0;
    let start = 0;
    for (const { at } of run) {
      if (streak === 0 || (this.windowMs > 0 && at - start > this.windowMs)) {
        streak = 0;
        start = at;
      }
      streak++;
    }
    return streak;
  }
}
