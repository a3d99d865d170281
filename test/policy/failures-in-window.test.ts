import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailuresInWindowPolicy } from '../../src/policy/failures-in-window.ts';
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
  new FailuresInWindowPolicy({ kind: 'failures-in-window', threshold, windowMs });
const TRIP = 'failure-threshold';

interface Case {
  readonly name: string;
  readonly threshold: number;
  readonly steps: readonly Step[];
  /** `[calls, failures, slowCalls]` at the end. */
  readonly stats: readonly [number, number, number];
}

// windowMs is 1000 in every case.
const cases: readonly Case[] = [
  {
    name: 'successes in between do not reset it',
    threshold: 3,
    steps: [
      ['F', 0, null, 1],
      ['S', 1, null, 0],
      ['F', 2, null, 1],
      ['S', 3, null, 0],
      ['F', 4, TRIP, 1],
    ],
    stats: [5, 3, 0],
  },
  {
    name: 'failures exactly windowMs apart are within the window',
    threshold: 3,
    steps: [
      ['F', 0, null, 1],
      ['F', 500, null, 2],
      ['F', 1000, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'one ms past windowMs the oldest failure has slid out',
    threshold: 3,
    steps: [
      ['F', 0, null, 1],
      ['F', 500, null, 2],
      ['F', 1001, null, 3],
      ['F', 1500, TRIP, 4],
    ],
    stats: [4, 4, 0],
  },
  {
    name: 'the window slides: any threshold failures within windowMs trip',
    threshold: 3,
    steps: [
      ['F', 0, null, 1],
      ['F', 900, null, 2],
      ['F', 1800, null, 3],
      ['S', 1850, null, 0],
      ['F', 1900, TRIP, 1],
    ],
    stats: [5, 4, 0],
  },
  {
    name: 'after a backwards clock jump failures count at the latest time seen',
    threshold: 3,
    steps: [
      ['F', 5000, null, 1],
      ['F', 100, null, 2],
      ['F', 200, TRIP, 3],
    ],
    stats: [3, 3, 0],
  },
  {
    name: 'time catches up after a backwards jump',
    threshold: 2,
    steps: [
      ['F', 5000, null, 1],
      ['F', 100, TRIP, 2],
      ['S', 0, null, 0],
      ['F', 6001, null, 1],
      ['F', 6002, TRIP, 2],
    ],
    stats: [5, 4, 0],
  },
  {
    name: 'threshold 1 trips on every failure',
    threshold: 1,
    steps: [
      ['F', 0, TRIP, 1],
      ['S', 1, null, 0],
      ['F', 5000, TRIP, 1],
    ],
    stats: [3, 2, 0],
  },
  {
    name: 'slow outcomes count in stats',
    threshold: 3,
    steps: [
      ['s', 0, null, 0],
      ['f', 1, null, 1],
      ['S', 2, null, 0],
      ['f', 3, null, 1],
    ],
    stats: [4, 2, 3],
  },
];

describe('FailuresInWindowPolicy', () => {
  it.each(cases)('$name', ({ threshold, steps, stats }) => {
    const policy = make(threshold, 1000);
    expect(replay(policy, steps)).toEqual(steps);
    expect(statsOf(policy, 0)).toEqual(stats);
  });

  it('describes itself: no time needed on success, no slow-call rule', () => {
    const policy = make(5, 60_000);
    expect([policy.kind, policy.needsTimeOnSuccess, policy.slowCallMs]).toEqual([
      'failures-in-window',
      false,
      undefined,
    ]);
  });

  it('reset() forgets the failures, the streak and the counts', () => {
    const policy = make(3, 1000);
    play(policy, [
      ['F', 0],
      ['F', 1],
    ]);
    policy.reset(2);
    expect([policy.consecutiveFailures(), statsOf(policy, 2)]).toEqual([0, [0, 0, 0]]);
    // A backwards jump right after a reset is not clamped to the forgotten times.
    expect(
      play(policy, [
        ['F', -5000],
        ['F', -4500],
        ['F', -4000],
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
      ['f', 400],
      ['F', 900],
      ['F', 1300],
      ['S', 1301],
    ]);
    const copy = make(3, 1000);
    copy.restore(JSON.parse(JSON.stringify(original.toJSON())), 1400);
    expect(copy.toJSON()).toEqual(original.toJSON());
    const next: [Outcome, number][] = [
      ['F', 1900],
      ['F', 2000],
      ['F', 100],
      ['S', 0],
      ['F', 2900],
    ];
    expect(play(copy, next)).toEqual(play(original, next));
    expect(statsOf(copy, 0)).toEqual(statsOf(original, 0));
  });

  it('restores a partly filled ring', () => {
    const original = make(3, 1000);
    play(original, [['F', 10]]);
    const copy = make(3, 1000);
    copy.restore(original.toJSON(), 20);
    expect(
      play(copy, [
        ['F', 500],
        ['F', 1010],
      ]),
    ).toEqual([
      [null, 2],
      [TRIP, 3],
    ]);
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
      { ...good, kind: 'consecutive' },
      make(2, 1000).toJSON(),
      make(3, 999).toJSON(),
      { ...good, times: [0] },
      { ...good, times: [1, 0] },
      { ...good, times: [0, '1'] },
      { ...good, times: [0, null] },
      { ...good, times: 'x' },
      { ...good, streak: 3 },
      { ...good, calls: 1 },
      { ...good, slowCalls: -1 },
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
        fc.constantFrom(1, 5, 20, 50),
        startTime,
        actions({ step: 15, back: 100, gap: 60 }),
        (threshold, windowMs, start, steps) => {
          agree(() => make(threshold, windowMs), new FailuresReference(threshold, windowMs), steps, start);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * Keeps every outcome since the last reset. A failure's time is the latest time seen so far (the
 * documented answer to a clock that goes back); a failure trips when `threshold` failures, itself
 * included, are at most `windowMs` older than it.
 */
class FailuresReference implements Reference {
  #outcomes: { failed: boolean; slow: boolean; at: number }[] = [];
  constructor(
    readonly threshold: number,
    readonly windowMs: number,
  ) {}

  record(failed: boolean, slow: boolean, now: number): TripReason | null {
    const failures = this.#outcomes.filter((o) => o.failed);
    const at = failed ? Math.max(now, ...failures.map((o) => o.at)) : Number.NaN;
    this.#outcomes.push({ failed, slow, at });
    if (!failed) return null;
    const recent = failures.filter((o) => o.at >= at - this.windowMs).length + 1;
    return recent >= this.threshold ? TRIP : null;
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

  consecutiveFailures(): number {
    return trailingFailures(this.#outcomes);
  }
}
