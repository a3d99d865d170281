/**
 * Trip options are resolved once, when a service is registered: the caller's object is copied (never
 * mutated), every default is filled in and every field is checked. A bad field throws a `TypeError`
 * (wrong type) or `RangeError` (out of range) with code `ERR_INVALID_OPTION` that names the full path
 * and the value: `breaker.trip.threshold must be an integer >= 1, got 0`.
 *
 * The few shape checks the policies' `restore()` share live here too: they are the same kind of
 * "is this value what we expect?" question, asked of snapshot data instead of options.
 */

import { DEFAULTS } from '../defaults.ts';
import { invalidOption } from '../errors.ts';
import type { TripOptions } from '../types.ts';
import { FieldReader, knownKeys } from '../validate.ts';
import type { TripPolicy, TripReason } from './types.ts';

/** Largest `size` of a count window (one byte per call: 10 MB). Also caps a time window's `buckets`. */
export const MAX_WINDOW_SLOTS = 10_000_000;

/** Resolved `consecutive` options. */
export interface ResolvedConsecutiveOptions {
  readonly kind: 'consecutive';
  /** @default 5 */
  readonly threshold: number;
  /** `0` never forgets a streak. @default 60_000 */
  readonly windowMs: number;
}

/** Resolved `failures-in-window` options. */
export interface ResolvedFailuresInWindowOptions {
  readonly kind: 'failures-in-window';
  /** @default 5 */
  readonly threshold: number;
  /** @default 60_000 */
  readonly windowMs: number;
}

/** The rate rule shared by the count and time windows. */
export interface RateRule {
  /** @default 10 */
  readonly minimumCalls: number;
  /** @default 0.5 */
  readonly failureRate: number;
  /** `undefined`: slow calls never trip. @default undefined */
  readonly slowCallRate: number | undefined;
  /** `undefined`: no call is slow. @default undefined */
  readonly slowCallMs: number | undefined;
}

/** Resolved `count-window` options. */
export interface ResolvedCountWindowOptions extends RateRule {
  readonly kind: 'count-window';
  /** @default 100 */
  readonly size: number;
}

/** Resolved `time-window` options. */
export interface ResolvedTimeWindowOptions extends RateRule {
  readonly kind: 'time-window';
  /** @default 60_000 */
  readonly windowMs: number;
  /** @default 10 */
  readonly buckets: number;
}

/** Resolved `custom` options: `create` makes one policy per breaker. */
export interface ResolvedCustomOptions {
  readonly kind: 'custom';
  readonly create: () => TripPolicy;
}

/** Trip options with every default filled in, as produced by {@link resolveTripOptions}. */
export type ResolvedTripOptions =
  | ResolvedConsecutiveOptions
  | ResolvedFailuresInWindowOptions
  | ResolvedCountWindowOptions
  | ResolvedTimeWindowOptions
  | ResolvedCustomOptions;

const KINDS: readonly TripOptions['kind'][] = [
  'consecutive',
  'failures-in-window',
  'count-window',
  'time-window',
  'custom',
];

const RATE_KEYS = ['minimumCalls', 'failureRate', 'slowCallRate', 'slowCallMs'] as const;

/** The keys each kind of trip options knows; any other is refused (a typo must not run as a default). */
const TRIP_KEYS: Readonly<Record<TripOptions['kind'], readonly string[]>> = {
  consecutive: ['kind', 'threshold', 'windowMs'],
  'failures-in-window': ['kind', 'threshold', 'windowMs'],
  'count-window': ['kind', 'size', ...RATE_KEYS],
  'time-window': ['kind', 'windowMs', 'buckets', ...RATE_KEYS],
  custom: ['kind', 'create'],
};

/**
 * Copies `input`, fills the defaults and validates every field. `field` is the path of the trip
 * options in the caller's object (e.g. `breaker.trip`), used to name bad fields in errors.
 * `undefined` resolves to `{ kind: 'consecutive', threshold: 5, windowMs: 60_000 }`.
 * @throws TypeError | RangeError with `code: 'ERR_INVALID_OPTION'` and `field`.
 */
export function resolveTripOptions(input: TripOptions | undefined, field: string): ResolvedTripOptions {
  if (input === undefined) return Object.freeze({ kind: 'consecutive', ...DEFAULTS.trip });
  const raw: unknown = input;
  if (!isRecord(raw)) throw invalidOption('type', field, "an object like { kind: 'consecutive' }", raw);
  const kind = raw.kind;
  const known = KINDS.find((k) => k === kind);
  if (known === undefined) {
    throw invalidOption('type', `${field}.kind`, `one of ${KINDS.map((k) => `"${k}"`).join(', ')}`, kind);
  }
  knownKeys(raw, TRIP_KEYS[known], field);
  const read = new FieldReader(raw, field);
  switch (known) {
    case 'consecutive':
    case 'failures-in-window':
      return Object.freeze({
        kind: known,
        threshold: read.integer('threshold', DEFAULTS.trip.threshold, 1),
        windowMs: read.integer('windowMs', DEFAULTS.trip.windowMs, known === 'consecutive' ? 0 : 1),
      });
    case 'count-window': {
      const size = read.integer('size', DEFAULTS.window.size, 1, MAX_WINDOW_SLOTS);
      return Object.freeze({ kind: known, size, ...readRateRule(read, size) });
    }
    case 'time-window': {
      const windowMs = read.integer('windowMs', DEFAULTS.window.windowMs, 1);
      // Each bucket must span at least 1 ms, or buckets would share a millisecond.
      const maxBuckets = Math.min(windowMs, MAX_WINDOW_SLOTS);
      const why = maxBuckets === windowMs ? ' (windowMs: each bucket spans at least 1 ms)' : '';
      const buckets = read.integer('buckets', DEFAULTS.window.buckets, 1, maxBuckets, why);
      return Object.freeze({ kind: known, windowMs, buckets, ...readRateRule(read) });
    }
    case 'custom': {
      const create = raw.create;
      if (typeof create !== 'function') {
        throw invalidOption('type', `${field}.create`, 'a function returning a TripPolicy', create);
      }
      return Object.freeze({ kind: known, create: create as () => TripPolicy });
    }
    default: {
      const unreachable: never = known;
      throw invalidOption('type', `${field}.kind`, 'a known kind', unreachable);
    }
  }
}

/** The rate fields; a count window can't reach more than `size` calls, so `minimumCalls` is capped by it. */
function readRateRule(read: FieldReader, size?: number): RateRule {
  const minimumCalls = read.integer(
    'minimumCalls',
    DEFAULTS.window.minimumCalls,
    1,
    size,
    ' (the window size)',
  );
  const failureRate = read.rate('failureRate') ?? DEFAULTS.window.failureRate;
  const slowCallRate = read.rate('slowCallRate');
  const slowCallMs = read.positive('slowCallMs');
  if (slowCallRate !== undefined && slowCallMs === undefined) {
    throw invalidOption(
      'type',
      `${read.field}.slowCallMs`,
      'a finite number > 0 when slowCallRate is set',
      undefined,
    );
  }
  return { minimumCalls, failureRate, slowCallRate, slowCallMs };
}

/**
 * The rate rule of the count and time windows: no decision below `minimumCalls`; then the failure
 * rate, then the slow-call rate. Division (not `failures >= rate * calls`) so that a rate exactly
 * equal to the threshold (3 of 10 against 0.3) compares equal: both sides round to the same double.
 */
export function rateTrip(
  rule: RateRule,
  calls: number,
  failures: number,
  slowCalls: number,
): TripReason | null {
  if (calls < rule.minimumCalls) return null;
  if (failures / calls >= rule.failureRate) return 'failure-rate';
  if (rule.slowCallRate !== undefined && slowCalls / calls >= rule.slowCallRate) return 'slow-call-rate';
  return null;
}

/** A non-null, non-array object. */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-negative safe integer (a count in snapshot data). */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The options a policy writes into its snapshot, so `restore()` can tell data from a differently
 * configured breaker (whose window meant something else) and ignore it. `undefined` becomes `null`
 * so the data survives `JSON.stringify`.
 */
export type OptionsJSON = Readonly<Record<string, number | null>>;

/** Snapshot form of resolved options: every field but `kind`, `undefined` as `null`. */
export function optionsJSON(options: ResolvedTripOptions): OptionsJSON {
  const out: Record<string, number | null> = {};
  for (const [key, value] of Object.entries(options)) {
    if (key !== 'kind' && typeof value !== 'function') out[key] = typeof value === 'number' ? value : null;
  }
  return Object.freeze(out);
}

/** True when snapshot data names the same kind and exactly the same options. */
export function sameOptions(
  data: Readonly<Record<string, unknown>>,
  kind: string,
  options: OptionsJSON,
): boolean {
  if (data.kind !== kind || !isRecord(data.options)) return false;
  const theirs = data.options;
  const keys = Object.keys(options);
  return Object.keys(theirs).length === keys.length && keys.every((key) => theirs[key] === options[key]);
}
