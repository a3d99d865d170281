import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResolvedTimeWindowOptions } from '../../src/policy/options.ts';
import { TimeWindowPolicy } from '../../src/policy/time-window.ts';
import type { TripReason, WindowStats } from '../../src/policy/types.ts';
import {
  actions,
  agree,
  GARBAGE,
  type Outcome,
  play,
  type Reference,
  rate,
  rateDecision,
  record,
  replay,
  type Step,
  startTime,
  statsOf,
  trailingFailures,
} from './harness.ts';

type Rule = Partial<Omit<ResolvedTimeWindowOptions, 'kind'>>;
/** By default a 1000 ms window of ten 100 ms buckets. */
const options = (rule: Rule): ResolvedTimeWindowOptions => ({
  kind: 'time-window',
  windowMs: 1000,
  buckets: 10,
  minimumCalls: 4,
  failureRate: 0.5,
  slowCallRate: undefined,
  slowCallMs: undefined,
  ...rule,
});
const make = (rule: Rule = {}) => new TimeWindowPolicy(options(rule));
const RATE = 'failure-rate';
const SLOW = 'slow-call-rate';

interface Case {
  readonly name: string;
  readonly rule?: Rule;
  readonly steps: readonly Step[];
  /** `[calls, failures, slowCalls]` at the time of the last step. */
  readonly stats: readonly [number, number, number];
}

const cases: readonly Case[] = [
  {
    name: 'trips on the call that reaches minimumCalls with a rate exactly at failureRate',
    steps: [
      ['F', 0, null, 1],
      ['F', 10, null, 2],
      ['S', 20, null, 0],
      ['S', 30, RATE, 0],
    ],
    stats: [4, 2, 0],
  },
  {
    name: 'a bucket is still in the window one ms before windowMs has passed',
    steps: [
      ['F', 0, null, 1],
      ['F', 50, null, 2],
      ['S', 999, null, 0],
      ['S', 999, RATE, 0],
    ],
    stats: [4, 2, 0],
  },
  {
    name: 'a bucket expires once windowMs has passed since its start',
    steps: [
      ['F', 0, null, 1],
      ['F', 50, null, 2],
      ['S', 1000, null, 0],
      ['S', 1000, null, 0],
    ],
    stats: [2, 0, 0],
  },
  {
    name: 'only the expired buckets are dropped',
    steps: [
      ['F', 0, null, 1],
      ['F', 150, null, 2],
      ['S', 1050, null, 0],
      ['F', 1060, null, 1],
      ['F', 1070, RATE, 2],
    ],
    stats: [4, 3, 0],
  },
  {
    name: 'a gap longer than the window clears everything',
    steps: [
      ['F', 0, null, 1],
      ['F', 1, null, 2],
      ['F', 2, null, 3],
      ['S', 5000, null, 0],
      ['F', 5001, null, 1],
      ['S', 5002, null, 0],
      ['S', 5003, null, 0],
    ],
    stats: [4, 1, 0],
  },
  {
    name: 'after a backwards clock jump calls land in the newest bucket and expire with it',
    steps: [
      ['F', 950, null, 1],
      ['F', 0, null, 2],
      ['S', 500, null, 0],
      ['S', 1899, RATE, 0],
      ['S', 1900, null, 0],
      ['S', 1901, null, 0],
    ],
    stats: [3, 0, 0],
  },
  {
    name: 'slow successes trip with slow-call-rate',
    rule: { slowCallRate: 0.5, slowCallMs: 100 },
    steps: [
      ['s', 0, null, 0],
      ['s', 1, null, 0],
      ['S', 2, null, 0],
      ['S', 3, SLOW, 0],
    ],
    stats: [4, 0, 2],
  },
  {
    name: 'failure-rate is reported before slow-call-rate',
    rule: { slowCallRate: 0.5, slowCallMs: 100 },
    steps: [
      ['f', 0, null, 1],
      ['f', 1, null, 2],
      ['S', 2, null, 0],
      ['S', 3, RATE, 0],
    ],
    stats: [4, 2, 2],
  },
  {
    name: 'negative times work (buckets before zero)',
    steps: [
      ['F', -900, null, 1],
      ['F', -50, null, 2],
      ['S', 0, null, 0],
      ['S', 49, RATE, 0],
    ],
    stats: [4, 2, 0],
  },
  {
    // Bucket 2 spans [666.7, 1000): the call at 999 leaves the window at 1666.7.
    name: 'buckets that do not divide windowMs evenly (3 buckets of 333.3 ms)',
    rule: { buckets: 3, minimumCalls: 1, failureRate: 1 },
    steps: [
      ['F', 0, RATE, 1],
      ['S', 999, null, 0],
      ['F', 1000, null, 1],
      ['S', 1666, null, 0],
      ['S', 1667, null, 0],
    ],
    stats: [3, 1, 0],
  },
];

describe('TimeWindowPolicy', () => {
  it.each(cases)('$name', ({ rule = {}, steps, stats }) => {
    const policy = make(rule);
    expect(replay(policy, steps)).toEqual(steps);
    expect(statsOf(policy, steps.at(-1)![1])).toEqual(stats);
  });

  it('describes itself: needs time on success; exposes slowCallMs', () => {
    const policy = make({ slowCallRate: 0.5, slowCallMs: 250 });
    expect([policy.kind, policy.needsTimeOnSuccess, policy.slowCallMs]).toEqual(['time-window', true, 250]);
    expect(make().slowCallMs).toBeUndefined();
  });

  it('stats(now) leaves out the buckets that expired by `now`', () => {
    const policy = make();
    play(policy, [
      ['F', 0],
      ['f', 120],
      ['S', 350],
    ]);
    expect(statsOf(policy, 999)).toEqual([3, 2, 1]);
    expect(statsOf(policy, 1000)).toEqual([2, 1, 1]);
    expect(statsOf(policy, 1100)).toEqual([1, 0, 0]);
    expect(statsOf(policy, 1299)).toEqual([1, 0, 0]);
    expect(statsOf(policy, 1300)).toEqual([0, 0, 0]);
    // Asking about an earlier time (a clock that went back) changes nothing.
    expect(statsOf(policy, 0)).toEqual([0, 0, 0]);
    expect(policy.consecutiveFailures()).toBe(0);
  });

  it('reset() forgets the window and the streak', () => {
    const policy = make();
    play(policy, [
      ['F', 0],
      ['F', 1],
      ['f', 2],
    ]);
    policy.reset(3);
    expect([policy.consecutiveFailures(), statsOf(policy, 3)]).toEqual([0, [0, 0, 0]]);
    // The head is forgotten too: a call at an earlier time gets its own bucket, not the old head's.
    expect(
      play(policy, [
        ['F', -2000],
        ['F', -2000],
        ['S', -1001],
        ['S', -1001],
      ]),
    ).toEqual([
      [null, 1],
      [null, 2],
      [null, 0],
      [RATE, 0],
    ]);
  });

  it('round-trips through JSON: a restored copy makes the same decisions', () => {
    const original = make({ slowCallRate: 0.75, slowCallMs: 100 });
    play(original, [
      ['F', 0],
      ['s', 150],
      ['S', 420],
      ['f', 910],
      ['F', 930],
    ]);
    const copy = make({ slowCallRate: 0.75, slowCallMs: 100 });
    copy.restore(JSON.parse(JSON.stringify(original.toJSON())), 950);
    expect(copy.toJSON()).toEqual(original.toJSON());
    const next: [Outcome, number][] = [
      ['S', 1000],
      ['F', 1100],
      ['F', 100],
      ['S', 1500],
      ['F', 1950],
      ['s', 4000],
    ];
    expect(play(copy, next)).toEqual(play(original, next));
    expect(statsOf(copy, 4000)).toEqual(statsOf(original, 4000));
  });

  it('restore(data, now) drops the buckets that expired while the data was stored', () => {
    const original = make();
    play(original, [
      ['F', 0],
      ['F', 500],
      ['S', 900],
    ]);
    const copy = make();
    copy.restore(original.toJSON(), 1550);
    // Moved to the bucket of 1550 at once, so a later call from a clock behind it can't land earlier.
    expect(copy.toJSON()).toMatchObject({ head: 15, calls: [0, 0, 0, 1, 0, 0, 0, 0, 0, 0] });
    expect([statsOf(copy, 1550), copy.consecutiveFailures()]).toEqual([[1, 0, 0], 0]);
    const empty = make();
    empty.restore(make().toJSON(), 1550);
    expect(empty.toJSON()).toEqual(make().toJSON());
  });

  it('ignores snapshot data of the wrong shape or from other options, without throwing', () => {
    const policy = make({ buckets: 4 });
    play(policy, [
      ['F', 0],
      ['S', 300],
      ['F', 600],
    ]);
    const before = policy.toJSON();
    const good = { ...before };
    const bad: unknown[] = [
      ...GARBAGE,
      make({ buckets: 5 }).toJSON(),
      make({ buckets: 4, windowMs: 2000 }).toJSON(),
      make({ buckets: 4, minimumCalls: 3 }).toJSON().options,
      { ...good, head: 1.5 },
      { ...good, head: '2' },
      { ...good, head: null },
      { ...good, calls: [1, 1, 1] },
      { ...good, calls: [1, 1, 1, -1] },
      { ...good, calls: [1, 1, 1, 2 ** 31] },
      { ...good, failures: [0, 2, 0, 1] },
      { ...good, slowCalls: [0, 0, 0, 9] },
      { ...good, streak: -1 },
    ];
    for (const data of bad) {
      expect(() => policy.restore(data, 700)).not.toThrow();
      expect(policy.toJSON(), JSON.stringify(data)).toEqual(before);
    }
    expect(record(policy, 'F', 700)).toBe(RATE);
  });

  it('keeps exact figures over 300,000 calls through a 10,000-bucket window', () => {
    // One call per ms into 10 ms buckets; every third call fails.
    const policy = make({ windowMs: 100_000, buckets: 10_000, minimumCalls: 2, failureRate: 1 });
    for (let t = 0; t < 300_000; t++) {
      if ((t % 3 === 0 ? policy.onFailure(false, t) : policy.onSuccess(false, t)) !== null) {
        throw new Error(`unexpected trip at ${t}`);
      }
      if ((t + 1) % 50_000 === 0) {
        const from = Math.max(0, (Math.floor(t / 10) - 9_999) * 10);
        const failures = Math.ceil((t + 1) / 3) - Math.ceil(from / 3);
        expect(statsOf(policy, t), `at ${t}`).toEqual([t + 1 - from, failures, 0]);
      }
    }
  });

  it('agrees with a brute-force reference over random sequences', () => {
    const rule = fc
      .record({
        windowMs: fc.integer({ min: 1, max: 60 }),
        buckets: fc.integer({ min: 1, max: 8 }),
        minimumCalls: fc.integer({ min: 1, max: 8 }),
        failureRate: rate,
        slowCallRate: fc.option(rate, { nil: undefined }),
      })
      .map(({ windowMs, buckets, minimumCalls, failureRate, slowCallRate }) =>
        options({
          windowMs: Math.max(windowMs, buckets),
          buckets,
          minimumCalls,
          failureRate,
          slowCallRate,
          slowCallMs: slowCallRate === undefined ? undefined : 100,
        }),
      );
    fc.assert(
      fc.property(rule, startTime, actions({ step: 10, back: 40, gap: 60 }), (resolved, start, steps) => {
        agree(() => new TimeWindowPolicy(resolved), new TimeReference(resolved), steps, start);
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * Keeps every outcome since the last reset with the bucket it was counted in: the bucket of its time,
 * or the newest bucket seen if the clock went back. At `now` the window is the newest bucket (by
 * `now` or by an earlier call) and the `buckets - 1` before it.
 */
class TimeReference implements Reference {
  #outcomes: { failed: boolean; slow: boolean; bucket: number }[] = [];
  #newest = Number.NEGATIVE_INFINITY;
  constructor(readonly options: ResolvedTimeWindowOptions) {}

  #advance(now: number): void {
    const { windowMs, buckets } = this.options;
    this.#newest = Math.max(this.#newest, Math.floor(now / (windowMs / buckets)));
  }

  record(failed: boolean, slow: boolean, now: number): TripReason | null {
    this.#advance(now);
    this.#outcomes.push({ failed, slow, bucket: this.#newest });
    const { calls, failures, slowCalls } = this.stats(now);
    return rateDecision(calls, failures, slowCalls, this.options);
  }

  reset(): void {
    this.#outcomes = [];
    this.#newest = Number.NEGATIVE_INFINITY;
  }

  stats(now: number): WindowStats {
    this.#advance(now);
    const window = this.#outcomes.filter((o) => o.bucket > this.#newest - this.options.buckets);
    return {
      calls: window.length,
      failures: window.filter((o) => o.failed).length,
      slowCalls: window.filter((o) => o.slow).length,
    };
  }

  consecutiveFailures(): number {
    return trailingFailures(this.#outcomes);
  }

  restored(now: number): void {
    if (Number.isFinite(this.#newest)) this.#advance(now);
  }
}
