import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CountWindowPolicy } from '../../src/policy/count-window.ts';
import type { ResolvedCountWindowOptions } from '../../src/policy/options.ts';
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
  replay,
  type Step,
  startTime,
  statsOf,
  trailingFailures,
} from './harness.ts';

type Rule = Partial<Omit<ResolvedCountWindowOptions, 'kind'>>;
const options = (rule: Rule): ResolvedCountWindowOptions => ({
  kind: 'count-window',
  size: 10,
  minimumCalls: 4,
  failureRate: 0.5,
  slowCallRate: undefined,
  slowCallMs: undefined,
  ...rule,
});
const make = (rule: Rule = {}) => new CountWindowPolicy(options(rule));
const RATE = 'failure-rate';
const SLOW = 'slow-call-rate';
const slowRule = { slowCallRate: 0.5, slowCallMs: 100 };

interface Case {
  readonly name: string;
  readonly rule: Rule;
  /** Times don't matter to a count window: every row is at 0. */
  readonly steps: readonly Step[];
  /** `[calls, failures, slowCalls]` at the end. */
  readonly stats: readonly [number, number, number];
}

const cases: readonly Case[] = [
  {
    name: 'no decision below minimumCalls; the call that reaches it can trip, even a success',
    rule: { minimumCalls: 4 },
    steps: [
      ['F', 0, null, 1],
      ['F', 0, null, 2],
      ['F', 0, null, 3],
      ['S', 0, RATE, 0],
    ],
    stats: [4, 3, 0],
  },
  {
    name: 'a rate exactly equal to failureRate trips',
    rule: { minimumCalls: 4, failureRate: 0.5 },
    steps: [
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['F', 0, null, 1],
      ['F', 0, RATE, 2],
    ],
    stats: [4, 2, 0],
  },
  {
    name: '3 of 10 against 0.3 trips, 2 of 10 does not',
    rule: { size: 10, minimumCalls: 10, failureRate: 0.3 },
    steps: [
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['F', 0, null, 1],
      ['F', 0, null, 2],
      ['S', 0, null, 0],
      ['F', 0, RATE, 1],
    ],
    stats: [10, 3, 0],
  },
  {
    name: 'old calls slide out of the window',
    rule: { size: 4, minimumCalls: 4 },
    steps: [
      ['F', 0, null, 1],
      ['F', 0, null, 2],
      ['S', 0, null, 0],
      ['S', 0, RATE, 0],
      ['S', 0, null, 0],
      ['S', 0, null, 0],
      ['F', 0, null, 1],
      ['F', 0, RATE, 2],
    ],
    stats: [4, 2, 0],
  },
  {
    name: 'slow successes trip with slow-call-rate',
    rule: { size: 4, minimumCalls: 4, ...slowRule },
    steps: [
      ['s', 0, null, 0],
      ['s', 0, null, 0],
      ['S', 0, null, 0],
      ['S', 0, SLOW, 0],
    ],
    stats: [4, 0, 2],
  },
  {
    name: 'failure-rate is reported before slow-call-rate',
    rule: { size: 4, minimumCalls: 4, ...slowRule },
    steps: [
      ['f', 0, null, 1],
      ['f', 0, null, 2],
      ['S', 0, null, 0],
      ['S', 0, RATE, 0],
    ],
    stats: [4, 2, 2],
  },
  {
    name: 'slow calls never trip without slowCallRate',
    rule: { size: 4, minimumCalls: 4, slowCallMs: 100 },
    steps: [
      ['s', 0, null, 0],
      ['s', 0, null, 0],
      ['s', 0, null, 0],
      ['s', 0, null, 0],
    ],
    stats: [4, 0, 4],
  },
  {
    name: 'the streak outlives the window',
    rule: { size: 2, minimumCalls: 2, failureRate: 1 },
    steps: [
      ['F', 0, null, 1],
      ['F', 0, RATE, 2],
      ['F', 0, RATE, 3],
      ['S', 0, null, 0],
    ],
    stats: [2, 1, 0],
  },
  {
    name: 'size 1 decides on the last call alone',
    rule: { size: 1, minimumCalls: 1, failureRate: 1 },
    steps: [
      ['S', 0, null, 0],
      ['F', 0, RATE, 1],
      ['S', 0, null, 0],
    ],
    stats: [1, 0, 0],
  },
];

describe('CountWindowPolicy', () => {
  it.each(cases)('$name', ({ rule, steps, stats }) => {
    const policy = make(rule);
    expect(replay(policy, steps)).toEqual(steps);
    expect(statsOf(policy, 0)).toEqual(stats);
  });

  it('describes itself: no time needed on success; exposes slowCallMs', () => {
    const policy = make(slowRule);
    expect([policy.kind, policy.needsTimeOnSuccess, policy.slowCallMs]).toEqual(['count-window', false, 100]);
    expect(make().slowCallMs).toBeUndefined();
  });

  it('reset() forgets the window and the streak', () => {
    const policy = make({ size: 4, minimumCalls: 2 });
    play(policy, [
      ['F', 0],
      ['f', 0],
      ['S', 0],
    ]);
    policy.reset(0);
    expect([policy.consecutiveFailures(), statsOf(policy, 0)]).toEqual([0, [0, 0, 0]]);
    expect(
      play(policy, [
        ['S', 0],
        ['S', 0],
        ['F', 0],
      ]),
    ).toEqual([
      [null, 0],
      [null, 0],
      [null, 1],
    ]);
    expect(statsOf(policy, 0)).toEqual([3, 1, 0]);
  });

  it('round-trips through JSON: a restored copy makes the same decisions', () => {
    const rule = { size: 5, minimumCalls: 5, failureRate: 0.6, ...slowRule };
    const original = make(rule);
    play(
      original,
      ['F', 's', 'S', 'f', 'S', 'F', 'F'].map((o) => [o as Outcome, 0] as const),
    );
    const copy = make(rule);
    copy.restore(JSON.parse(JSON.stringify(original.toJSON())), 0);
    expect(copy.toJSON()).toEqual(original.toJSON());
    expect(original.toJSON().outcomes).toBe('03011');
    const next = ['s', 'S', 'F', 'S', 'S', 's', 's'].map((o) => [o as Outcome, 0] as const);
    expect(play(copy, next)).toEqual(play(original, next));
    expect(statsOf(copy, 0)).toEqual(statsOf(original, 0));
  });

  it('ignores snapshot data of the wrong shape or from other options, without throwing', () => {
    const policy = make({ size: 4 });
    play(policy, [
      ['F', 0],
      ['S', 0],
      ['F', 0],
    ]);
    const before = policy.toJSON();
    const good = { ...before };
    const bad: unknown[] = [
      ...GARBAGE,
      make({ size: 5 }).toJSON(),
      make({ size: 4, failureRate: 0.6 }).toJSON(),
      make({ size: 4, ...slowRule }).toJSON(),
      { ...good, outcomes: '10101' },
      { ...good, outcomes: '104' },
      { ...good, outcomes: [1, 0, 1] },
      { ...good, outcomes: '1 1' },
      { ...good, streak: 2 },
      { ...good, streak: 0 },
      { ...good, outcomes: '111', streak: 4 },
      { ...good, streak: null },
    ];
    for (const data of bad) {
      expect(() => policy.restore(data, 0)).not.toThrow();
      expect(policy.toJSON(), JSON.stringify(data)).toEqual(before);
    }
    // A full window of failures may carry a longer streak.
    policy.restore({ ...good, outcomes: '1111', streak: 9 }, 0);
    expect([policy.consecutiveFailures(), statsOf(policy, 0)]).toEqual([9, [4, 4, 0]]);
  });

  it('keeps exact figures over 300,000 calls in a 100,000-call window (no per-call work over the window)', () => {
    const size = 100_000;
    const policy = make({ size, minimumCalls: size, failureRate: 1 });
    // Calls 0, 3, 6, ... fail; calls 0, 7, 14, ... are slow.
    const multiples = (from: number, to: number, k: number) => Math.ceil(to / k) - Math.ceil(from / k);
    for (let i = 0; i < 300_000; i++) {
      const slow = i % 7 === 0;
      const decision = i % 3 === 0 ? policy.onFailure(slow, 0) : policy.onSuccess(slow, 0);
      if (decision !== null) throw new Error(`unexpected trip at call ${i}`);
      if ((i + 1) % 50_000 === 0) {
        const from = Math.max(0, i + 1 - size);
        expect(statsOf(policy, 0), `after ${i + 1} calls`).toEqual([
          i + 1 - from,
          multiples(from, i + 1, 3),
          multiples(from, i + 1, 7),
        ]);
      }
    }
    const copy = make({ size, minimumCalls: size, failureRate: 1 });
    copy.restore(JSON.parse(JSON.stringify(policy.toJSON())), 0);
    expect(statsOf(copy, 0)).toEqual(statsOf(policy, 0));
  });

  it('agrees with a brute-force reference over random sequences', () => {
    const rule = fc
      .record({
        size: fc.integer({ min: 1, max: 12 }),
        minimumCalls: fc.integer({ min: 1, max: 12 }),
        failureRate: rate,
        slowCallRate: fc.option(rate, { nil: undefined }),
      })
      .map(({ size, minimumCalls, failureRate, slowCallRate }) =>
        options({
          size,
          minimumCalls: Math.min(minimumCalls, size),
          failureRate,
          slowCallRate,
          slowCallMs: slowCallRate === undefined ? undefined : 100,
        }),
      );
    fc.assert(
      fc.property(rule, startTime, actions({ step: 10, back: 10, gap: 10 }), (resolved, start, steps) => {
        agree(() => new CountWindowPolicy(resolved), new CountReference(resolved), steps, start);
      }),
      { numRuns: 200 },
    );
  });
});

/** Keeps every outcome since the last reset; the window is the last `size` of them. */
class CountReference implements Reference {
  #outcomes: { failed: boolean; slow: boolean }[] = [];
  constructor(readonly options: ResolvedCountWindowOptions) {}

  record(failed: boolean, slow: boolean): TripReason | null {
    this.#outcomes.push({ failed, slow });
    const { calls, failures, slowCalls } = this.stats();
    return rateDecision(calls, failures, slowCalls, this.options);
  }

  reset(): void {
    this.#outcomes = [];
  }

  stats(): WindowStats {
    const window = this.#outcomes.slice(-this.options.size);
    return {
      calls: window.length,
      failures: window.filter((o) => o.failed).length,
      slowCalls: window.filter((o) => o.slow).length,
    };
  }

  consecutiveFailures(): number {
    return trailingFailures(this.#outcomes);
  }
}
