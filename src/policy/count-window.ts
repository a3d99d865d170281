/**
 * Open when the failure rate (or slow-call rate) of the last `size` calls reaches a threshold, once
 * at least `minimumCalls` are in the window. One byte per call in a ring and three running totals:
 * recording a call adds it and subtracts the call it pushes out, so the cost does not grow with
 * `size`. Successes need no clock read.
 */
import {
  isCount,
  isRecord,
  type OptionsJSON,
  optionsJSON,
  type RateRule,
  type ResolvedCountWindowOptions,
  rateTrip,
  sameOptions,
} from './options.ts';
import type { TripPolicy, TripReason, WindowStats } from './types.ts';

const FAILED = 1;
const SLOW = 2;
/** Outcomes in snapshots are one character each: `'0' + (failed | slow << 1)`. */
const DIGIT_ZERO = 48;

/** Snapshot data of a {@link CountWindowPolicy}. */
export interface CountWindowJSON {
  readonly kind: 'count-window';
  readonly options: OptionsJSON;
  /**
   * The window's outcomes, oldest first, one digit each: `0` success, `1` failure, `2` slow success,
   * `3` slow failure (a string is a quarter the size of a JSON array for a 100k-call window).
   */
  readonly outcomes: string;
  readonly streak: number;
}

/**
 * Trips with `failure-rate` when calls >= `minimumCalls` and failures / calls >= `failureRate`, else
 * with `slow-call-rate` when `slowCallRate` is set and slow calls / calls >= it. Checked on every
 * call, successes included: a slow success can trip it, and so can the call that reaches
 * `minimumCalls`.
 */
export class CountWindowPolicy implements TripPolicy {
  readonly kind = 'count-window';
  readonly needsTimeOnSuccess = false;
  readonly slowCallMs: number | undefined;
  readonly #rule: RateRule;
  readonly #size: number;
  readonly #options: OptionsJSON;
  readonly #ring: Uint8Array;
  /** Slot written next; once the ring is full it also holds the oldest call. */
  #next = 0;
  #calls = 0;
  #failures = 0;
  #slowCalls = 0;
  #streak = 0;

  constructor(options: ResolvedCountWindowOptions) {
    this.slowCallMs = options.slowCallMs;
    this.#rule = options;
    this.#size = options.size;
    this.#options = optionsJSON(options);
    this.#ring = new Uint8Array(options.size);
  }

  onSuccess(slow: boolean, _now: number): TripReason | null {
    this.#streak = 0;
    return this.#record(slow ? SLOW : 0);
  }

  onFailure(slow: boolean, _now: number): TripReason | null {
    this.#streak++;
    return this.#record(slow ? FAILED | SLOW : FAILED);
  }

  #record(flags: number): TripReason | null {
    const slot = this.#next;
    if (this.#calls === this.#size) {
      const evicted = this.#ring[slot]!;
      this.#failures -= evicted & FAILED;
      this.#slowCalls -= evicted >> 1;
    } else {
      this.#calls++;
    }
    this.#ring[slot] = flags;
    this.#failures += flags & FAILED;
    this.#slowCalls += flags >> 1;
    this.#next = slot + 1 === this.#size ? 0 : slot + 1;
    return rateTrip(this.#rule, this.#calls, this.#failures, this.#slowCalls);
  }

  /** Forgets the window. The ring is not cleared: slots are only read once they have been written again. */
  reset(_now?: number): void {
    this.#next = 0;
    this.#calls = 0;
    this.#failures = 0;
    this.#slowCalls = 0;
    this.#streak = 0;
  }

  consecutiveFailures(): number {
    return this.#streak;
  }

  stats(_now?: number): WindowStats {
    return { calls: this.#calls, failures: this.#failures, slowCalls: this.#slowCalls };
  }

  toJSON(): CountWindowJSON {
    const digits = new Uint8Array(this.#calls);
    const first = this.#calls === this.#size ? this.#next : 0;
    for (let i = 0; i < this.#calls; i++) {
      const slot = first + i < this.#size ? first + i : first + i - this.#size;
      digits[i] = DIGIT_ZERO + this.#ring[slot]!;
    }
    return {
      kind: this.kind,
      options: this.#options,
      outcomes: new TextDecoder().decode(digits),
      streak: this.#streak,
    };
  }

  restore(data: unknown, _now?: number): void {
    if (!isRecord(data) || !sameOptions(data, this.kind, this.#options)) return;
    const { outcomes, streak } = data;
    if (typeof outcomes !== 'string' || outcomes.length > this.#size || !isCount(streak)) return;
    if (!/^[0-3]*$/.test(outcomes) || !streakFits(outcomes, streak, this.#size)) return;
    let failures = 0;
    let slowCalls = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const flags = outcomes.charCodeAt(i) - DIGIT_ZERO;
      this.#ring[i] = flags;
      failures += flags & FAILED;
      slowCalls += flags >> 1;
    }
    this.#calls = outcomes.length;
    this.#next = outcomes.length === this.#size ? 0 : outcomes.length;
    this.#failures = failures;
    this.#slowCalls = slowCalls;
    this.#streak = streak;
  }
}

/**
 * The streak must agree with the window's tail: exactly its trailing failures, or at least that many
 * when the window is full of failures (a streak can be longer than the window).
 */
function streakFits(outcomes: string, streak: number, size: number): boolean {
  let trailing = 0;
  while (
    trailing < outcomes.length &&
    (outcomes.charCodeAt(outcomes.length - 1 - trailing) - DIGIT_ZERO) & FAILED
  ) {
    trailing++;
  }
  return trailing === size ? streak >= trailing : streak === trailing;
}
