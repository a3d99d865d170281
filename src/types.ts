/**
 * Public types shared by the supervisor, the pool, the HTTP layer and users. Options here are the
 * *input* shapes (everything optional, defaults documented with `@default`); the resolved shapes
 * live next to `resolveOptions()` in `options.ts`.
 */

import type { CircuitState } from './core/states.ts';
import type { TripPolicy } from './policy/types.ts';
import type { Clock } from './time/clock.ts';

export type { CircuitState, TransitionReason } from './core/states.ts';

/** How the open period grows when a breaker re-opens without having closed in between. */
export type BackoffOptions =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'exponential';
      /** @default 2 */
      readonly factor?: number;
      /** Upper bound of the open period. @default 300_000 */
      readonly maxMs?: number;
      /** Random spread added to each open period, as a fraction of it (0..1). @default 0 */
      readonly jitter?: number;
    };

/** Trip policies: which outcomes open the breaker. */
export type TripOptions =
  | {
      readonly kind: 'consecutive';
      /** Consecutive failures that open the breaker. @default 5 */
      readonly threshold?: number;
      /**
       * A streak older than this is forgotten: the count restarts when the first failure of the
       * streak is more than `windowMs` old. `0` never forgets. @default 60_000
       */
      readonly windowMs?: number;
    }
  | {
      readonly kind: 'failures-in-window';
      /** Failures within `windowMs` (sliding) that open the breaker. @default 5 */
      readonly threshold?: number;
      /** @default 60_000 */
      readonly windowMs?: number;
    }
  | {
      readonly kind: 'count-window';
      /** The last `size` calls are considered. @default 100 */
      readonly size?: number;
      /** No decision before this many calls are in the window. @default 10 */
      readonly minimumCalls?: number;
      /** Open when failures / calls >= this (0..1]. @default 0.5 */
      readonly failureRate?: number;
      /** Open when slow calls / calls >= this (0..1]. Needs `slowCallMs`. @default undefined (off) */
      readonly slowCallRate?: number;
      /** A call that takes at least this long is slow. @default undefined */
      readonly slowCallMs?: number;
    }
  | {
      readonly kind: 'time-window';
      /** @default 60_000 */
      readonly windowMs?: number;
      /** Number of buckets the window is split into. @default 10 */
      readonly buckets?: number;
      /** @default 10 */
      readonly minimumCalls?: number;
      /** @default 0.5 */
      readonly failureRate?: number;
      readonly slowCallRate?: number;
      readonly slowCallMs?: number;
    }
  | {
      readonly kind: 'custom';
      /** Makes a fresh policy for one breaker. */
      readonly create: () => TripPolicy;
    };

export interface HalfOpenOptions {
  /** Probes admitted per half-open period; the rest are rejected at once. @default 5 */
  readonly maxCalls?: number;
  /** Consecutive probe successes that close the breaker. @default 3 */
  readonly successThreshold?: number;
  /**
   * Longest a half-open period may last before it re-opens (probes that never finish can't keep
   * it half-open). @default max(2 * callTimeoutMs, 60_000)
   */
  readonly maxWaitMs?: number;
}

/** Breaker options. A preset is an object of this type. */
export interface BreakerOptions {
  /** @default { kind: 'consecutive', threshold: 5, windowMs: 60_000 } */
  readonly trip?: TripOptions;
  /** How long the breaker stays open before the reset timer moves it to half-open. @default 30_000 */
  readonly openMs?: number;
  /** @default { kind: 'constant' } */
  readonly backoff?: BackoffOptions;
  readonly halfOpen?: HalfOpenOptions;
  /** Longest a call may run; `0` disables the timeout. @default 10_000 */
  readonly callTimeoutMs?: number;
  /**
   * Which errors count as failures of the service. Errors for which it returns false are passed to
   * the caller and count as successes of the service (it answered). Protection errors never count.
   * @default () => true
   */
  readonly isFailure?: (error: unknown) => boolean;
}

/** A fallback: a fixed value, or a function of the error that replaced the call. */
export type Fallback<T> =
  | { readonly value: T }
  | ((error: unknown, info: FallbackInfo) => T | PromiseLike<T>);

export interface FallbackInfo {
  readonly service: string;
  /** `rejected`: the breaker did not admit the call; `failed`: the call ran and failed. */
  readonly kind: 'rejected' | 'failed';
}

/** Options of one registered service. */
export interface ServiceOptions<T = unknown> {
  readonly breaker?: BreakerOptions;
  /** Used when the breaker rejects a call (open, half-open full). */
  readonly fallback?: Fallback<T>;
  /** Also use the fallback when an admitted call fails. @default false */
  readonly fallbackOnFailure?: boolean;
  /**
   * Latency sampling adapts to the call rate: every call while samples are more than 100 ms apart,
   * down to one call in this many when they are less than 10 ms apart (a clock read costs ~45 ns;
   * the inline path ~100 ns). Slow-call policies and `callSucceeded`/`callFailed` listeners time
   * every call. @default 128
   */
  readonly latencySampleEvery?: number;

  // ---- worker pool (issue 4). Present => calls go to a piscina pool of this module. ----
  /** Module whose named exports are the handlers. `string` paths are resolved against cwd. */
  readonly worker?: URL | string;
  readonly threads?: { readonly min?: number; readonly max?: number };
  /** @default 30_000 */
  readonly idleTimeoutMs?: number;
  /** @default 1 */
  readonly concurrentTasksPerWorker?: number;
  /** Bulkhead: calls waiting beyond this are rejected with ERR_BULKHEAD_FULL. @default Infinity */
  readonly maxQueue?: number;
  /** Longest a call may wait in the queue before it starts (separate from callTimeoutMs). @default 0 (none) */
  readonly queueTimeoutMs?: number;
  readonly resourceLimits?: {
    readonly maxOldGenerationSizeMb?: number;
    readonly maxYoungGenerationSizeMb?: number;
    readonly codeRangeSizeMb?: number;
    readonly stackSizeMb?: number;
  };
  /** Opt-in: batch calls made in the same tick into one message per worker. @default false */
  readonly batching?: boolean | { readonly maxBatch?: number };
}

/** Options for one inline call, `run()`. */
export interface RunOptions<T = unknown> {
  readonly signal?: AbortSignal;
  /** Overrides the service's `breaker.callTimeoutMs` for this call; `0` disables it. */
  readonly timeoutMs?: number;
  /** Overrides the service's fallback for this call. */
  readonly fallback?: Fallback<T>;
}

/** Options for one worker call, `call()`. */
export interface CallOptions<T = unknown> extends RunOptions<T> {
  /** Objects moved (not copied) to the worker, e.g. ArrayBuffers among the arguments. */
  readonly transferList?: readonly Transferable[];
}

/** The result form of `runResult()` / `callResult()`: never rejects. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SupervisorOptions {
  /** @default the system clock (Date.now and unref'd timers) */
  readonly clock?: Clock;
  /** Any pino-compatible logger; every transition is logged once. @default none */
  readonly logger?: Logger;
  /** Defaults merged under every service's options. */
  readonly defaults?: ServiceOptions;
  /** Restore breakers, counters and timers from `snapshot()`. */
  readonly restore?: SupervisorSnapshot;
  /** Capture stack traces on protection errors (circuit open, half-open full). @default false */
  readonly captureStacks?: boolean;
}

/** Pool figures, present in metrics of services that run in a worker pool. */
export interface PoolMetrics {
  readonly threads: number;
  readonly queued: number;
  readonly running: number;
  /** Fraction of capacity busy, 0..1. */
  readonly utilization: number;
  readonly restarts: number;
  readonly crashes: number;
  readonly terminations: number;
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
