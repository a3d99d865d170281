/**
 * Shared by the policy tests: a tiny outcome notation for tables, and the driver that runs a real
 * policy and a brute-force reference model side by side over a random sequence of actions.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { TripPolicy, TripReason, WindowStats } from '../../src/policy/types.ts';

/** `S` success, `F` failure; lower case: the same, but slow. */
export type Outcome = 'S' | 'F' | 's' | 'f';

/** Records one outcome at `at`. */
export function record(policy: TripPolicy, outcome: Outcome, at: number): TripReason | null {
  const slow = outcome === 's' || outcome === 'f';
  return outcome === 'S' || outcome === 's' ? policy.onSuccess(slow, at) : policy.onFailure(slow, at);
}

/** Plays `[outcome, at]` steps and returns, for each, the decision and the streak after it. */
export function play(
  policy: TripPolicy,
  steps: readonly (readonly [Outcome, number])[],
): [TripReason | null, number][] {
  return steps.map(([outcome, at]) => [record(policy, outcome, at), policy.consecutiveFailures()]);
}

/** One row of a policy table: the outcome, its time, then the expected decision and streak after it. */
export type Step = readonly [outcome: Outcome, at: number, decision: TripReason | null, streak: number];

/** Replays a table's outcomes and returns the rows as they happened, to compare with the table. */
export function replay(policy: TripPolicy, steps: readonly Step[]): Step[] {
  return steps.map(([outcome, at]) => [
    outcome,
    at,
    record(policy, outcome, at),
    policy.consecutiveFailures(),
  ]);
}

/** Stats as a tuple, for compact tables: `[calls, failures, slowCalls]`. */
export function statsOf(policy: TripPolicy, now: number): [number, number, number] {
  const { calls, failures, slowCalls } = policy.stats(now);
  return [calls, failures, slowCalls];
}

/** Garbage that every `restore()` must ignore without throwing. */
export const GARBAGE: readonly unknown[] = [
  undefined,
  null,
  0,
  'x',
  [],
  [1, 2, 3],
  {},
  { kind: 'nope' },
  { kind: 'consecutive' },
  { kind: 'consecutive', options: null },
  { kind: 'count-window', options: {} },
  { kind: 'time-window', options: [] },
];

/** A brute-force reference: it keeps every outcome and recomputes each answer from scratch. */
export interface Reference {
  record(failed: boolean, slow: boolean, now: number): TripReason | null;
  reset(): void;
  stats(now: number): WindowStats;
  consecutiveFailures(): number;
  /** Called when the policy under test was replaced by a restored copy at `now`. */
  restored?(now: number): void;
}

export type Op = Outcome | 'stats' | 'reset' | 'snapshot';
export interface Action {
  readonly op: Op;
  /** Time moved before the action; negative: the clock jumped back. */
  readonly dt: number;
}

/**
 * Random actions: mostly outcomes (failures weighted up so trips happen), sometimes a stats read, a
 * reset or a JSON snapshot restored into a fresh policy; time mostly moves by up to `step` ms,
 * sometimes jumps back by up to `back` ms or forward by a gap of `gap`..`3 * gap` ms.
 */
export function actions(timing: { step: number; back: number; gap: number }): fc.Arbitrary<Action[]> {
  const op = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom<Op>('S', 'F', 'F', 's', 'f') },
    { weight: 1, arbitrary: fc.constantFrom<Op>('stats', 'reset', 'snapshot', 'snapshot') },
  );
  const dt = fc.oneof(
    { weight: 10, arbitrary: fc.integer({ min: 0, max: timing.step }) },
    { weight: 1, arbitrary: fc.integer({ min: -timing.back, max: -1 }) },
    { weight: 1, arbitrary: fc.integer({ min: timing.gap, max: 3 * timing.gap }) },
  );
  return fc.array(fc.record({ op, dt }), { maxLength: 150, size: 'max' });
}

/** Start times: zero, negative, and wall-clock-sized. */
export const startTime = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.constant(1_767_225_600_000),
);

/**
 * Runs `actions` against a fresh policy and the reference; after every action the decision, the
 * stats and the streak must agree. Policies that don't need time on success get `NaN` for it, which
 * proves they ignore it. A snapshot replaces the policy with a fresh one restored from its JSON.
 */
export function agree(
  fresh: () => TripPolicy,
  reference: Reference,
  steps: readonly Action[],
  start: number,
): void {
  let policy = fresh();
  let now = start;
  steps.forEach(({ op, dt }, i) => {
    now += dt;
    const where = `step ${i} (${op} at ${now})`;
    switch (op) {
      case 'stats':
        break;
      case 'reset':
        policy.reset(now);
        reference.reset();
        break;
      case 'snapshot': {
        const data: unknown = JSON.parse(JSON.stringify(policy.toJSON()));
        policy = fresh();
        policy.restore(data, now);
        reference.restored?.(now);
        break;
      }
      default: {
        const failed = op === 'F' || op === 'f';
        const slow = op === 's' || op === 'f';
        const at = failed || policy.needsTimeOnSuccess ? now : Number.NaN;
        const got = failed ? policy.onFailure(slow, at) : policy.onSuccess(slow, at);
        expect(got, where).toBe(reference.record(failed, slow, now));
      }
    }
    expect(policy.stats(now), where).toEqual(reference.stats(now));
    expect(policy.consecutiveFailures(), where).toBe(reference.consecutiveFailures());
  });
}

/** The rate rule, restated for the references. */
export function rateDecision(
  calls: number,
  failures: number,
  slowCalls: number,
  rule: { minimumCalls: number; failureRate: number; slowCallRate: number | undefined },
): TripReason | null {
  if (calls < rule.minimumCalls) return null;
  if (failures / calls >= rule.failureRate) return 'failure-rate';
  if (rule.slowCallRate !== undefined && slowCalls / calls >= rule.slowCallRate) return 'slow-call-rate';
  return null;
}

/** Rates that hit exact equality often (3 of 10 against 0.3). */
export const rate = fc.constantFrom(0.1, 0.2, 0.25, 0.3, 0.5, 0.6, 2 / 3, 0.75, 1);

/** Trailing failures of an outcome list. */
export function trailingFailures(outcomes: readonly { readonly failed: boolean }[]): number {
  let n = 0;
  while (n < outcomes.length && outcomes[outcomes.length - 1 - n]!.failed) n++;
  return n;
}
