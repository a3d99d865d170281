/**
 * The supervisor's record of one service: its breaker, its executor, its counters. Plain fields,
 * read and written only by the supervisor (the one owner of state).
 */
import type { Breaker } from '../core/breaker.ts';
import type { ResolvedServiceOptions } from '../options.ts';
import type { PoolExecutor } from '../pool/types.ts';
import type { ScheduledTask } from '../time/scheduler.ts';
import type { ServiceHealth, ServiceMetrics } from '../types.ts';
import { LatencyWindow } from './latency.ts';

/** Cumulative counters, carried over by snapshot/restore. */
export interface Counters {
  total: number;
  successful: number;
  failed: number;
  rejected: number;
  timedOut: number;
  aborted: number;
  fallbacks: number;
  late: number;
}

export const COUNTER_KEYS: readonly (keyof Counters)[] = [
  'total',
  'successful',
  'failed',
  'rejected',
  'timedOut',
  'aborted',
  'fallbacks',
  'late',
];

export class ServiceRecord {
  readonly name: string;
  readonly options: ResolvedServiceOptions;
  readonly breaker: Breaker;
  readonly executor: PoolExecutor | undefined;
  /** The breaker's one timer (recovery while open, max wait while half-open). */
  timer: ScheduledTask | undefined = undefined;
  readonly counters: Counters = {
    total: 0,
    successful: 0,
    failed: 0,
    rejected: 0,
    timedOut: 0,
    aborted: 0,
    fallbacks: 0,
    late: 0,
  };
  inFlight = 0;
  /** Hot-path copies of options (one property load instead of three). */
  readonly callTimeoutMs: number;
  readonly fallback: ResolvedServiceOptions['fallback'];
  /** Counts down to the next call whose latency is sampled. */
  sampleCountdown: number;
  /** Time every call (slow-call policy, worker calls): the policy needs every duration. */
  readonly timeEveryCall: boolean;
  /** A success in a closed breaker can't trip this policy and needs no time: skip the clock read. */
  readonly cheapSuccess: boolean;
  /** Made on first use: an idle service holds no histogram. */
  #latency: LatencyWindow | undefined;
  /** Set by unregister(): outcomes arriving afterwards are dropped. */
  detached = false;

  constructor(
    name: string,
    options: ResolvedServiceOptions,
    breaker: Breaker,
    executor: PoolExecutor | undefined,
  ) {
    this.name = name;
    this.options = options;
    this.breaker = breaker;
    this.executor = executor;
    this.sampleCountdown = 1;
    this.callTimeoutMs = options.breaker.callTimeoutMs;
    this.fallback = options.fallback;
    const policy = breaker.policy;
    this.timeEveryCall = policy.slowCallMs !== undefined || executor !== undefined;
    this.cheapSuccess =
      !policy.needsTimeOnSuccess && (policy.kind === 'consecutive' || policy.kind === 'failures-in-window');
  }

  recordLatency(durationMs: number, now: number): void {
    if (this.#latency === undefined) this.#latency = new LatencyWindow(60_000);
    this.#latency.record(durationMs, now);
  }

  metrics(now: number): ServiceMetrics {
    const b = this.breaker;
    const c = this.counters;
    // Rates describe the trip policy's current window (count/time windows), or everything since the
    // breaker last closed for policies that keep no window of calls.
    const window = b.policy.stats(now);
    const calls = window.calls;
    const failureRate = calls === 0 ? 0 : window.failures / calls;
    const latency = this.#latency?.summary(now);
    const base: ServiceMetrics = {
      service: this.name,
      state: b.state,
      totalRequests: c.total,
      successfulRequests: c.successful,
      failedRequests: c.failed,
      rejectedRequests: c.rejected,
      timedOutRequests: c.timedOut,
      abortedRequests: c.aborted,
      fallbacks: c.fallbacks,
      lateResults: c.late,
      consecutiveFailures: b.policy.consecutiveFailures(),
      lastStateChange: b.lastChange,
      nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
      failureRate,
      successRate: calls === 0 ? 1 : 1 - failureRate,
      slowCallRate: window.calls === 0 ? 0 : window.slowCalls / window.calls,
      avgResponseTimeMs: latency?.avgMs ?? 0,
      p50ResponseTimeMs: latency?.p50Ms ?? 0,
      p99ResponseTimeMs: latency?.p99Ms ?? 0,
      opens: b.opens,
      inFlight: this.inFlight,
    };
    return this.executor === undefined ? base : { ...base, pool: this.executor.metrics() };
  }

  health(now: number): ServiceHealth {
    const b = this.breaker;
    const pool = this.executor?.health();
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
