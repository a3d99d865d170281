/**
 * The supervisor's record of one service: its breaker, its executor, its counters. Plain fields,
 * read and written only by the supervisor (the one owner of state).
 */
import type { Breaker } from '../core/breaker.ts';
import type { ResolvedServiceOptions } from '../options.ts';
import type { ScheduledTask } from '../time/scheduler.ts';
import type { FallbackInfo, ServiceCounters, ServiceHealth, ServiceMetrics } from '../types.ts';
import { type CallPlan, servicePlan } from './call-options.ts';
import { LatencyWindow } from './latency.ts';
import type { PoolLane } from './pool-lane.ts';

/**
 * Cumulative counters, carried over by snapshot/restore. `total` is not counted on the hot path:
 * every call that reached the breaker is exactly one of successful, failed, rejected, aborted or
 * still in flight, so it is their sum (plus what a restored snapshot brought).
 */
export interface Counters {
  readonly total: number;
  successful: number;
  failed: number;
  rejected: number;
  timedOut: number;
  aborted: number;
  fallbacks: number;
  late: number;
}

export const COUNTER_KEYS: readonly Exclude<keyof Counters, 'total'>[] = [
  'successful',
  'failed',
  'rejected',
  'timedOut',
  'aborted',
  'fallbacks',
  'late',
];

/** Outcome handlers shared by every plain inline call of one breaker generation (inline.ts). */
export interface PlainHandlers {
  readonly gen: number;
  readonly ok: (value: unknown) => unknown;
  readonly err: (error: unknown) => unknown;
}

/** Never equal to anything a caller can pass as work. */
const NO_WORK: unique symbol = Symbol('no work');

export class ServiceRecord implements Counters {
  readonly name: string;
  readonly options: ResolvedServiceOptions;
  readonly breaker: Breaker;
  /** The service's worker pool, for `call()`; `undefined` for an inline service. */
  readonly pool: PoolLane | undefined;
  /** The plan of a call without options: the service's timeout and fallback, no signal. */
  readonly plan: CallPlan<unknown>;
  /** The `info` of the fallback function, made on first use (one per kind). */
  rejectedInfo: FallbackInfo | undefined = undefined;
  failedInfo: FallbackInfo | undefined = undefined;
  /** The breaker's one timer (recovery while open, max wait while half-open). */
  timer: ScheduledTask | undefined = undefined;
  successful = 0;
  failed = 0;
  rejected = 0;
  timedOut = 0;
  aborted = 0;
  fallbacks = 0;
  late = 0;
  inFlight = 0;
  /** Calls a restored snapshot counted in `total` that none of the other counters account for. */
  totalOffset = 0;
  /** Hot-path copies of options (one property load instead of three). */
  readonly callTimeoutMs: number;
  readonly fallback: ResolvedServiceOptions['fallback'];
  /** Counts down to the next call whose latency is sampled (<= 0: sample this one). */
  sampleCountdown: number;
  /** Calls between samples now: adapts between 1 and `latencySampleEvery` to the call rate. */
  sampleInterval = 1;
  #lastSampleAt = Number.NEGATIVE_INFINITY;
  /** Inline calls may take `Supervisor.run`'s shortest path (no clock read for the policy). */
  readonly fastInline: boolean;
  /** Time every call (slow-call policy, worker calls): the policy needs every duration. */
  readonly timeEveryCall: boolean;
  /** A success in a closed breaker can't trip this policy and needs no time: skip the clock read. */
  readonly cheapSuccess: boolean;
  /** Made on first use: an idle service holds no histogram. */
  #latency: LatencyWindow | undefined;
  /**
   * The last work function `run()` saw that declares no parameter: when the same one comes again,
   * the hot path skips reading `fn.length` (a native accessor that costs ~40 ns when V8 cannot
   * fold it). The trade-off: that one function (and what its closure holds) stays reachable until
   * another replaces it, or until unregister()/close().
   */
  plainFn: unknown = NO_WORK;
  /** Likewise, the last work function seen that declares a parameter (it gets a signal of its own). */
  signalFn: unknown = NO_WORK;
  /** Made on the first plain inline call of each generation. */
  plain: PlainHandlers | undefined = undefined;
  /** Set by unregister(): outcomes arriving afterwards are dropped. */
  detached = false;

  constructor(name: string, options: ResolvedServiceOptions, breaker: Breaker, pool: PoolLane | undefined) {
    this.name = name;
    this.options = options;
    this.breaker = breaker;
    this.pool = pool;
    // Not frozen (readonly in its type): a frozen object has a hidden class of its own, and every
    // step that reads a plan would then see two (this one, and the plans of calls with options).
    this.plan = servicePlan(options.breaker.callTimeoutMs, options.fallback);
    this.sampleCountdown = 1;
    this.callTimeoutMs = options.breaker.callTimeoutMs;
    this.fallback = options.fallback;
    const policy = breaker.policy;
    // Worker calls are sampled for latency like inline ones: timing every call cost ~190 ns of a
    // worker call's main-thread work. A slow-call policy needs every duration.
    this.timeEveryCall = policy.slowCallMs !== undefined;
    this.fastInline = !this.timeEveryCall && pool === undefined;
    this.cheapSuccess =
      !policy.needsTimeOnSuccess && (policy.kind === 'consecutive' || policy.kind === 'failures-in-window');
  }

  /** Detaches the record: outcomes arriving afterwards are dropped; no caller's function is held. */
  detach(): void {
    this.detached = true;
    this.plainFn = NO_WORK;
    this.signalFn = NO_WORK;
    this.plain = undefined;
  }

  get total(): number {
    return this.successful + this.failed + this.rejected + this.aborted + this.inFlight + this.totalOffset;
  }

  recordLatency(durationMs: number, now: number): void {
    if (this.#latency === undefined) this.#latency = new LatencyWindow(60_000);
    this.#latency.record(durationMs, now);
    // Adaptive sampling: samples less than 10 ms apart mean a busy service (sample less often, up
    // to one call in `latencySampleEvery`); more than 100 ms apart, a quiet one (down to every call).
    const gap = now - this.#lastSampleAt;
    this.#lastSampleAt = now;
    if (gap < 10) this.sampleInterval = Math.min(this.options.latencySampleEvery, this.sampleInterval * 2);
    else if (gap > 100) this.sampleInterval = Math.max(1, this.sampleInterval >> 1);
  }

  metrics(now: number): ServiceMetrics {
    const latency = this.#latency?.summary(now);
    return {
      ...this.counters(now),
      avgResponseTimeMs: latency?.avgMs ?? 0,
      p50ResponseTimeMs: latency?.p50Ms ?? 0,
      p99ResponseTimeMs: latency?.p99Ms ?? 0,
    };
  }

  /** `metrics()` without the response-time percentiles, whose histogram walk costs ~40 µs. */
  counters(now: number): ServiceCounters {
    const b = this.breaker;
    // Rates describe the trip policy's current window (count/time windows), or everything since the
    // breaker last closed for policies that keep no window of calls.
    const window = b.policy.stats(now);
    const calls = window.calls;
    const failureRate = calls === 0 ? 0 : window.failures / calls;
    const base: ServiceCounters = {
      service: this.name,
      state: b.state,
      totalRequests: this.total,
      successfulRequests: this.successful,
      failedRequests: this.failed,
      rejectedRequests: this.rejected,
      timedOutRequests: this.timedOut,
      abortedRequests: this.aborted,
      fallbacks: this.fallbacks,
      lateResults: this.late,
      consecutiveFailures: b.policy.consecutiveFailures(),
      lastStateChange: b.lastChange,
      nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
      failureRate,
      successRate: calls === 0 ? 1 : 1 - failureRate,
      slowCallRate: window.calls === 0 ? 0 : window.slowCalls / window.calls,
      opens: b.opens,
      inFlight: this.inFlight,
    };
    return this.pool === undefined ? base : { ...base, pool: this.pool.metrics() };
  }

  health(now: number): ServiceHealth {
    const b = this.breaker;
    const pool = this.pool?.health();
    if (pool !== undefined && !pool.healthy) return { healthy: false, state: b.state, message: pool.message };
    switch (b.state) {
      case 'closed':
        return { healthy: true, state: b.state, message: 'closed: calls flow normally' };
      case 'disabled':
        return {
          healthy: true,
          state: b.state,
          message: 'disabled: breaker bypassed, calls always admitted',
        };
      case 'half-open':
        return {
          healthy: false,
          state: b.state,
          message: 'half-open: probing whether the service recovered',
        };
      case 'open': {
        const inMs = Math.max(0, Math.round((b.nextAttemptAt ?? now) - now));
        return {
          healthy: false,
          state: b.state,
          message: `open (${b.reason ?? 'restored'}); next probe in ${inMs} ms`,
        };
      }
      case 'forced-open':
        return { healthy: false, state: b.state, message: 'forced open by an operator' };
    }
  }
}
