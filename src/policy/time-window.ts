/**
 * Open when the failure rate (or slow-call rate) of the last `windowMs` reaches a threshold, once at
 * least `minimumCalls` fell in it. The window is a ring of `buckets` buckets, each `windowMs / buckets`
 * long, with running totals: a call lands in the bucket of `now`, and moving to a later bucket clears
 * the buckets it passes (at most `buckets` of them, and each only once per lap: amortized O(1)); a gap
 * of a whole window or more clears everything at once.
 *
 * Bucket `b` holds the calls made in `[b * bucketMs, (b + 1) * bucketMs)`; at time `now` the window
 * is the bucket of `now` and the `buckets - 1` before it, so it spans between `windowMs - bucketMs`
 * and `windowMs` of history. A clock that jumps backwards keeps writing into the newest bucket
 * (nothing is lost and no bucket is cleared twice) until time catches up with it.
 */
import {
  isCount,
  isRecord,
  type OptionsJSON,
  optionsJSON,
  type RateRule,
  type ResolvedTimeWindowOptions,
  rateTrip,
  sameOptions,
} from './options.ts';
import type { TripPolicy, TripReason, WindowStats } from './types.ts';

const INT32_MAX = 2 ** 31 - 1;

/** Snapshot data of a {@link TimeWindowPolicy}. */
export interface TimeWindowJSON {
  readonly kind: 'time-window';
  readonly options: OptionsJSON;
  /** Number of the newest bucket (`floor(now / bucketMs)`), `null` before the first call. */
  readonly head: number | null;
  /** Per-bucket counts, oldest bucket (`head - buckets + 1`) first. */
  readonly calls: readonly number[];
  readonly failures: readonly number[];
  readonly slowCalls: readonly number[];
  readonly streak: number;
}

/**
 * Trips with `failure-rate` when calls >= `minimumCalls` and failures / calls >= `failureRate`, else
 * with `slow-call-rate` when `slowCallRate` is set and slow calls / calls >= it, both over the
 * buckets of the window. Checked on every call, successes included, so successes need `now`.
 * `now` must be a finite number.
 */
export class TimeWindowPolicy implements TripPolicy {
  readonly kind = 'time-window';
  readonly needsTimeOnSuccess = true;
  readonly slowCallMs: number | undefined;
  readonly #rule: RateRule;
  readonly #buckets: number;
  readonly #bucketMs: number;
  readonly #options: OptionsJSON;
  readonly #calls: Int32Array;
  readonly #failures: Int32Array;
  readonly #slowCalls: Int32Array;
  /** Number of the newest bucket; -Infinity when the window has never been written. */
  #head = Number.NEGATIVE_INFINITY;
  #totalCalls = 0;
  #totalFailures = 0;
  #totalSlowCalls = 0;
  #streak = 0;

  constructor(options: ResolvedTimeWindowOptions) {
    this.slowCallMs = options.slowCallMs;
    this.#rule = options;
    this.#buckets = options.buckets;
    this.#bucketMs = options.windowMs / options.buckets;
    this.#options = optionsJSON(options);
    this.#calls = new Int32Array(options.buckets);
    this.#failures = new Int32Array(options.buckets);
    this.#slowCalls = new Int32Array(options.buckets);
  }

  onSuccess(slow: boolean, now: number): TripReason | null {
    this.#streak = 0;
    return this.#record(now, 0, slow ? 1 : 0);
  }

  onFailure(slow: boolean, now: number): TripReason | null {
    this.#streak++;
    return this.#record(now, 1, slow ? 1 : 0);
  }

  #record(now: number, failed: number, slow: number): TripReason | null {
    this.#rotate(now);
    const slot = this.#slot(this.#head);
    this.#calls[slot]!++;
    this.#failures[slot]! += failed;
    this.#slowCalls[slot]! += slow;
    this.#totalCalls++;
    this.#totalFailures += failed;
    this.#totalSlowCalls += slow;
    return rateTrip(this.#rule, this.#totalCalls, this.#totalFailures, this.#totalSlowCalls);
  }

  /** Makes the bucket of `now` the newest, clearing the buckets that fell out of the window. */
  #rotate(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    // Same bucket, or the clock went back: keep writing into the newest bucket.
    if (!(bucket > this.#head)) return;
    if (bucket - this.#head >= this.#buckets) {
      this.#clear();
    } else {
      for (let b = this.#head + 1; b <= bucket; b++) {
        const slot = this.#slot(b);
        this.#totalCalls -= this.#calls[slot]!;
        this.#totalFailures -= this.#failures[slot]!;
        this.#totalSlowCalls -= this.#slowCalls[slot]!;
        this.#calls[slot] = 0;
        this.#failures[slot] = 0;
        this.#slowCalls[slot] = 0;
      }
    }
    this.#head = bucket;
  }

  #slot(bucket: number): number {
    const slot = bucket % this.#buckets;
    return slot < 0 ? slot + this.#buckets : slot;
  }

  #clear(): void {
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#slowCalls.fill(0);
    this.#totalCalls = 0;
    this.#totalFailures = 0;
    this.#totalSlowCalls = 0;
  }

  reset(_now?: number): void {
    this.#clear();
    this.#head = Number.NEGATIVE_INFINITY;
    this.#streak = 0;
  }

  consecutiveFailures(): number {
    return this.#streak;
  }

  /** The window as of `now`: buckets that expired by then are dropped (and cleared). */
  stats(now: number): WindowStats {
    this.#rotate(now);
    return { calls: this.#totalCalls, failures: this.#totalFailures, slowCalls: this.#totalSlowCalls };
  }

  toJSON(): TimeWindowJSON {
    const head = Number.isFinite(this.#head) ? this.#head : null;
    const calls: number[] = [];
    const failures: number[] = [];
    const slowCalls: number[] = [];
    for (let i = 0; i < this.#buckets; i++) {
      const slot = head === null ? i : this.#slot(head - this.#buckets + 1 + i);
      calls.push(this.#calls[slot]!);
      failures.push(this.#failures[slot]!);
      slowCalls.push(this.#slowCalls[slot]!);
    }
    return {
      kind: this.kind,
      options: this.#options,
      head,
      calls,
      failures,
      slowCalls,
      streak: this.#streak,
    };
  }

  /** Loads a snapshot, then moves the window to `now`: buckets that expired while it was stored are dropped. */
  restore(data: unknown, now: number): void {
    if (!isRecord(data) || !sameOptions(data, this.kind, this.#options)) return;
    const { head, calls, failures, slowCalls, streak } = data;
    if (!isCount(streak) || !(head === null || Number.isSafeInteger(head))) return;
    const wellFormed =
      this.#isBucketArray(calls) && this.#isBucketArray(failures) && this.#isBucketArray(slowCalls);
    if (!wellFormed) return;
    for (let i = 0; i < this.#buckets; i++) {
      const n = calls[i]!;
      if (failures[i]! > n || slowCalls[i]! > n || (head === null && n > 0)) return;
    }
    this.reset();
    if (typeof head === 'number') {
      for (let i = 0; i < this.#buckets; i++) {
        const slot = this.#slot(head - this.#buckets + 1 + i);
        this.#calls[slot] = calls[i]!;
        this.#failures[slot] = failures[i]!;
        this.#slowCalls[slot] = slowCalls[i]!;
        this.#totalCalls += calls[i]!;
        this.#totalFailures += failures[i]!;
        this.#totalSlowCalls += slowCalls[i]!;
      }
      this.#head = head;
      this.#rotate(now);
    }
    this.#streak = streak;
  }

  #isBucketArray(value: unknown): value is readonly number[] {
    return (
      Array.isArray(value) &&
      value.length === this.#buckets &&
      value.every((n: unknown) => isCount(n) && n <= INT32_MAX)
    );
  }
}
