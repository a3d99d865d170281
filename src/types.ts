/**
 * Public types shared by the supervisor, the pool, the HTTP layer and users. Options here are the
 * *input* shapes (everything optional, defaults documented with `@default`); the resolved shapes
 * live next to `resolveOptions()` in `options.ts`. What a supervisor reports (metrics, counters,
 * health, snapshots) is in `reports.ts`, re-exported here.
 */

import type { TransferListItem } from 'node:worker_threads';
import type { Fleet } from './fleet/types.ts';
import type { TripPolicy } from './policy/types.ts';
import type { SupervisorSnapshot } from './reports.ts';
import type { Clock } from './time/clock.ts';

export type { CircuitState, TransitionReason } from './core/states.ts';
export type * from './reports.ts';

/** How the open period grows when a breaker re-opens without having closed in between. */
export type BackoffOptions =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'exponential';
      /** @default 2 */
      readonly factor?: number | undefined;
      /** Upper bound of the open period. @default 300_000 */
      readonly maxMs?: number | undefined;
      /** Random spread added to each open period, as a fraction of it (0..1). @default 0 */
      readonly jitter?: number | undefined;
    };

/** Trip policies: which outcomes open the breaker. */
export type TripOptions =
  | {
      readonly kind: 'consecutive';
      /** Consecutive failures that open the breaker. @default 5 */
      readonly threshold?: number | undefined;
      /**
       * A streak older than this is forgotten: the count restarts when the first failure of the
       * streak is more than `windowMs` old. `0` never forgets. @default 60_000
       */
      readonly windowMs?: number | undefined;
    }
  | {
      readonly kind: 'failures-in-window';
      /** Failures within `windowMs` (sliding) that open the breaker. @default 5 */
      readonly threshold?: number | undefined;
      /** @default 60_000 */
      readonly windowMs?: number | undefined;
    }
  | {
      readonly kind: 'count-window';
      /** The last `size` calls are considered. @default 100 */
      readonly size?: number | undefined;
      /** No decision before this many calls are in the window. @default 10 */
      readonly minimumCalls?: number | undefined;
      /** Open when failures / calls >= this (0..1]. @default 0.5 */
      readonly failureRate?: number | undefined;
      /** Open when slow calls / calls >= this (0..1]. Needs `slowCallMs`. @default undefined (off) */
      readonly slowCallRate?: number | undefined;
      /** A call that takes at least this long is slow. @default undefined */
      readonly slowCallMs?: number | undefined;
    }
  | {
      readonly kind: 'time-window';
      /** @default 60_000 */
      readonly windowMs?: number | undefined;
      /** Number of buckets the window is split into. @default 10 */
      readonly buckets?: number | undefined;
      /** @default 10 */
      readonly minimumCalls?: number | undefined;
      /** @default 0.5 */
      readonly failureRate?: number | undefined;
      readonly slowCallRate?: number | undefined;
      readonly slowCallMs?: number | undefined;
    }
  | {
      readonly kind: 'custom';
      /** Makes a fresh policy for one breaker. */
      readonly create: () => TripPolicy;
    };

export interface HalfOpenOptions {
  /** Probes admitted per half-open period; the rest are rejected at once. @default 5 */
  readonly maxCalls?: number | undefined;
  /** Consecutive probe successes that close the breaker. @default 3 */
  readonly successThreshold?: number | undefined;
  /**
   * Longest a half-open period may last before it re-opens (probes that never finish can't keep
   * it half-open). @default max(2 * callTimeoutMs, 60_000)
   */
  readonly maxWaitMs?: number | undefined;
}

/** Breaker options. A preset is an object of this type. */
export interface BreakerOptions {
  /** @default { kind: 'consecutive', threshold: 5, windowMs: 60_000 } */
  readonly trip?: TripOptions | undefined;
  /** How long the breaker stays open before the reset timer moves it to half-open. @default 30_000 */
  readonly openMs?: number | undefined;
  /** @default { kind: 'constant' } */
  readonly backoff?: BackoffOptions | undefined;
  readonly halfOpen?: HalfOpenOptions | undefined;
  /** Longest a call may run; `0` disables the timeout. @default 10_000 */
  readonly callTimeoutMs?: number | undefined;
  /**
   * Which errors count as failures of the service. Errors for which it returns false are passed to
   * the caller and count as successes of the service (it answered). Protection errors never count.
   * @default () => true
   */
  readonly isFailure?: ((error: unknown) => boolean) | undefined;
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
  readonly breaker?: BreakerOptions | undefined;
  /** Used when the breaker rejects a call (open, half-open full). */
  readonly fallback?: Fallback<T> | undefined;
  /** Also use the fallback when an admitted call fails. @default false */
  readonly fallbackOnFailure?: boolean | undefined;
  /**
   * Latency sampling adapts to the call rate: every call while samples are more than 100 ms apart,
   * down to one call in this many when they are less than 10 ms apart (a clock read costs ~45 ns;
   * the inline path ~100 ns). Slow-call policies and `callSucceeded`/`callFailed` listeners time
   * every call. @default 128
   */
  readonly latencySampleEvery?: number | undefined;
  /**
   * Fleet mode (`new Supervisor({ fleet })`): `false` keeps this service's breaker local to this
   * supervisor. Its transitions are not published, shared states are not adopted, it takes no
   * probe lease, and a fleet-wide command on it (`forceOpen(name, { scope: 'fleet' })`, also
   * `reset`, `disable`) throws ERR_INVALID_OPTION without changing anything. Ignored without a
   * fleet. @default true
   */
  readonly fleet?: boolean | undefined;

  // ---- worker pool. Present => calls go to a pool of worker threads running this module. ----
  /** Module whose named exports are the handlers. `string` paths are resolved against cwd. */
  readonly worker?: URL | string | undefined;
  readonly threads?: { readonly min?: number | undefined; readonly max?: number | undefined } | undefined;
  /** @default 30_000 */
  readonly idleTimeoutMs?: number | undefined;
  /** @default 1 */
  readonly concurrentTasksPerWorker?: number | undefined;
  /** Bulkhead: calls waiting beyond this are rejected with ERR_BULKHEAD_FULL. @default Infinity */
  readonly maxQueue?: number | undefined;
  /**
   * Longest a call may wait for a thread (in the pool's queue or a thread's inbox) before its
   * handler starts; separate from `callTimeoutMs`, which counts from that start. @default 0 (none)
   */
  readonly queueTimeoutMs?: number | undefined;
  /**
   * A call that timed out or was aborted has its signal aborted in the worker; a handler that is
   * still running this long (ms) afterwards gets its thread retired: no new calls go to it, its
   * other calls run to their own deadlines, and a replacement starts. @default 1000
   */
  readonly abortGraceMs?: number | undefined;
  readonly resourceLimits?:
    | {
        readonly maxOldGenerationSizeMb?: number | undefined;
        readonly maxYoungGenerationSizeMb?: number | undefined;
        readonly codeRangeSizeMb?: number | undefined;
        readonly stackSizeMb?: number | undefined;
      }
    | undefined;
  /**
   * Calls always travel to a thread in batches (those made in one microtask checkpoint); `true`
   * waits for the end of the event-loop turn instead, up to `maxBatch` (256) calls per message,
   * and lets a thread start every call it holds at once (`concurrentTasksPerWorker` is not
   * applied). @default false
   */
  readonly batching?: boolean | { readonly maxBatch?: number | undefined } | undefined;
}

/** Options for one inline call, `run()`. */
export interface RunOptions<T = unknown> {
  readonly signal?: AbortSignal | undefined;
  /** Overrides the service's `breaker.callTimeoutMs` for this call; `0` disables it. */
  readonly timeoutMs?: number | undefined;
  /** Overrides the service's fallback for this call. */
  readonly fallback?: Fallback<T> | undefined;
}

/** Options for one worker call, `call()`. */
export interface CallOptions<T = unknown> extends RunOptions<T> {
  /** Objects moved (not copied) to the worker, e.g. ArrayBuffers among the arguments. */
  readonly transferList?: readonly TransferListItem[] | undefined;
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
  readonly clock?: Clock | undefined;
  /** Any pino-compatible logger; every transition is logged once. @default none */
  readonly logger?: Logger | undefined;
  /** Defaults merged under every service's options. */
  readonly defaults?: ServiceOptions | undefined;
  /** Restore breakers, counters and timers from `snapshot()`. */
  readonly restore?: SupervisorSnapshot | undefined;
  /** Capture stack traces on protection errors (circuit open, half-open full). @default false */
  readonly captureStacks?: boolean | undefined;
  /**
   * Fleet mode: share every breaker with the other processes of the fleet (`new RedisFleet()` from
   * `breakwater/redis`). The supervisor closes it in close(). @default none
   */
  readonly fleet?: Fleet | undefined;
}

/** `reset()`, `forceOpen()`, `disable()`: `fleet` applies the change on every node of the fleet. */
export interface ManualOptions {
  /** @default 'local' */
  readonly scope?: 'local' | 'fleet' | undefined;
}
