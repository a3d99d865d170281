/**
 * Public types of what a supervisor reports: per-service metrics and counters (`metrics()`,
 * `counters()`, with a pool's figures for worker services), health (`health()`) and the snapshot
 * of every breaker (`snapshot()`, restored through `SupervisorOptions.restore`). Re-exported by
 * `types.ts`, next to the options they answer to.
 */

import type { CircuitState } from './core/states.ts';

/** Pool figures, present in metrics of services that run in a worker pool. */
export interface PoolMetrics {
  /** Threads alive, retiring ones included. */
  readonly threads: number;
  /** Threads taking no new calls while their own calls run to their deadlines. */
  readonly retiring: number;
  /** Calls waiting for a thread: in the pool's queue or in a thread's inbox. */
  readonly queued: number;
  /** Calls whose handler has begun and whose thread still has them (overdue ones included). */
  readonly running: number;
  /** Fraction of capacity busy, 0..1. */
  readonly utilization: number;
  readonly restarts: number;
  readonly crashes: number;
  /** Threads terminated by the pool: stuck with an overdue call, or retired (not idle ones). */
  readonly terminations: number;
  /** Threads retired: a handler ignored its abort past the grace, or its event loop stopped. */
  readonly retirements: number;
  readonly broken: boolean;
}

export interface ServiceMetrics {
  readonly service: string;
  readonly state: CircuitState;
  /** Calls that reached the breaker: admitted + rejected. Cumulative since registration. */
  readonly totalRequests: number;
  readonly successfulRequests: number;
  /** Failed calls, including timeouts. */
  readonly failedRequests: number;
  /** Rejected by the breaker (open, half-open full) or by the pool's protections. */
  readonly rejectedRequests: number;
  readonly timedOutRequests: number;
  /** Calls aborted by their caller: neither success nor failure. */
  readonly abortedRequests: number;
  readonly fallbacks: number;
  /** Outcomes that arrived after their breaker moved on; they never change state. */
  readonly lateResults: number;
  readonly consecutiveFailures: number;
  /** Clock ms of the last transition (registration time if none). */
  readonly lastStateChange: number;
  /** Clock ms when the open breaker will move to half-open; `null` unless open. */
  readonly nextRecoveryAttempt: number | null;
  /** Failure fraction in the current window (0..1). */
  readonly failureRate: number;
  /** 1 - failureRate when the window has calls, else 1. */
  readonly successRate: number;
  readonly slowCallRate: number;
  readonly avgResponseTimeMs: number;
  readonly p50ResponseTimeMs: number;
  readonly p99ResponseTimeMs: number;
  /** Times the breaker opened. */
  readonly opens: number;
  readonly inFlight: number;
  readonly pool?: PoolMetrics;
}

/**
 * `ServiceMetrics` without the response-time figures (`sup.counters(name)`): cheap enough to read
 * for every service at every scrape or collection.
 */
export type ServiceCounters = Omit<
  ServiceMetrics,
  'avgResponseTimeMs' | 'p50ResponseTimeMs' | 'p99ResponseTimeMs'
>;

export interface ServiceHealth {
  readonly healthy: boolean;
  readonly state: CircuitState;
  readonly message: string;
}

export interface HealthReport {
  /** `ok`: all healthy; `degraded`: some unhealthy; `down`: every service unhealthy. */
  readonly status: 'ok' | 'degraded' | 'down';
  readonly services: Readonly<Record<string, ServiceHealth>>;
}

/** Versioned JSON snapshot of every breaker. */
export interface SupervisorSnapshot {
  readonly version: 1;
  readonly takenAt: number;
  readonly services: Readonly<Record<string, BreakerSnapshot>>;
}

export interface BreakerSnapshot {
  readonly state: CircuitState;
  readonly generation: number;
  readonly lastStateChange: number;
  readonly nextRecoveryAttempt: number | null;
  readonly reopenStreak: number;
  readonly policy: unknown;
  readonly counters: Readonly<Record<string, number>>;
}
