/**
 * What one admin server remembers per service name, for its `/metrics`:
 *
 * - counters fed by events (transitions, call durations), which the supervisor does not keep;
 * - offsets that keep cumulative figures monotonic when a service is unregistered and registered
 *   again from zero (a drop is taken as a reset; what was counted before it is carried over);
 * - a few samples of the outcome counters, for a failure ratio over the last minute that counts
 *   rejected calls too (the trip policy's window never sees them, so during an outage its ratio
 *   stays near what it was when the breaker opened).
 *
 * Kept after a service is unregistered, so counters continue if the name comes back.
 */
import type { CircuitState } from '../../types.ts';
import { CIRCUIT_STATES } from '../types.ts';
import { escapeLabelValue } from './exposition.ts';

/** Buckets of `breakwater_call_duration_seconds`: 1 ms to 30 s. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Outcomes of calls that ran, the duration histogram's `outcome` label (as in calls_total). */
export const RAN_OUTCOMES = ['success', 'failure', 'timeout'] as const;
export type RanOutcome = (typeof RAN_OUTCOMES)[number];

/**
 * Every transition a breaker can make: the automatic ones (closed -> open -> half-open -> closed
 * or back to open) and the manual ones (`reset()` to closed, `forceOpen()`, `disable()`). Each is
 * exposed at 0 from the first scrape, so `increase()` sees a service's first transition too.
 */
export const TRANSITIONS: readonly (readonly [CircuitState, CircuitState])[] = [
  ['closed', 'open'],
  ['open', 'half-open'],
  ['half-open', 'closed'],
  ['half-open', 'open'],
  ['open', 'closed'],
  ['closed', 'forced-open'],
  ['open', 'forced-open'],
  ['half-open', 'forced-open'],
  ['disabled', 'forced-open'],
  ['forced-open', 'closed'],
  ['closed', 'disabled'],
  ['open', 'disabled'],
  ['half-open', 'disabled'],
  ['forced-open', 'disabled'],
  ['disabled', 'closed'],
];

export const STATE_INDEX: ReadonlyMap<CircuitState, number> = new Map(CIRCUIT_STATES.map((s, i) => [s, i]));

/** Cumulative figures kept monotonic, by slot. */
export const Slot = {
  success: 0,
  failure: 1,
  timeout: 2,
  rejected: 3,
  aborted: 4,
  fallbacks: 5,
  late: 6,
  opens: 7,
  poolRestarts: 8,
} as const;
const SLOTS = 9;

/** Failure ratio window, and the spacing of the samples it is computed from. */
const RATIO_WINDOW_MS = 60_000;
const RATIO_SAMPLE_MS = 5_000;

export class DurationHistogram {
  /** Per bucket (not cumulative); the last entry is +Inf. */
  readonly counts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

export class ServiceSeries {
  /** `service="<escaped name>"`, the start of every label set of this service. */
  readonly label: string;
  /** Transition counts, indexed `from * 5 + to` (CIRCUIT_STATES order). */
  readonly transitions = new Float64Array(CIRCUIT_STATES.length * CIRCUIT_STATES.length);
  readonly durations: (DurationHistogram | undefined)[] = [undefined, undefined, undefined];
  /**
   * Rendered lines of the event-fed series, kept until their next event: most services of a large
   * fleet have few events between two scrapes, and these are most of a service's lines. One entry
   * per outcome's histogram, one for the transitions; `undefined` = to be rendered.
   */
  readonly renderedDurations: (Buffer | undefined)[] = [undefined, undefined, undefined];
  renderedTransitions: Buffer | undefined;
  readonly #last = new Float64Array(SLOTS).fill(-1);
  readonly #offset = new Float64Array(SLOTS);
  /** Samples (clock ms, successes, failures + rejections), oldest first. */
  #samples: { at: number; good: number; bad: number }[] = [];

  constructor(name: string) {
    this.label = `service="${escapeLabelValue(name)}"`;
  }

  /** `raw` as a counter that never decreases. */
  monotonic(slot: number, raw: number): number {
    const last = this.#last[slot]!;
    if (raw < last) {
      this.#offset[slot]! += last;
      // The service started again from zero: the ratio's old samples are of the previous one.
      this.#samples = [];
    }
    this.#last[slot] = raw;
    return this.#offset[slot]! + raw;
  }

  transition(from: number, to: number): void {
    this.transitions[from * 5 + to]!++;
    this.renderedTransitions = undefined;
  }

  observe(outcome: number, seconds: number): void {
    this.renderedDurations[outcome] = undefined;
    let h = this.durations[outcome];
    if (h === undefined) {
      h = new DurationHistogram();
      this.durations[outcome] = h;
    }
    h.observe(seconds);
  }

  /**
   * Fraction of the calls of about the last minute that got no answer from the service (failed,
   * timed out, or rejected by the breaker or the pool), from the cumulative counters. Until the
   * window has filled it covers everything since this server first saw the service.
   */
  failureRatio(now: number, good: number, bad: number): number {
    const samples = this.#samples;
    const newest = samples[samples.length - 1];
    if (newest === undefined) samples.push({ at: now, good: 0, bad: 0 });
    if (newest === undefined || now - newest.at >= RATIO_SAMPLE_MS) samples.push({ at: now, good, bad });
    // Keep one sample at or before the window's start as the base.
    while (samples.length > 2 && samples[1]!.at <= now - RATIO_WINDOW_MS) samples.shift();
    const base = samples[0]!;
    const calls = good - base.good + (bad - base.bad);
    return calls <= 0 ? 0 : (bad - base.bad) / calls;
  }
}
