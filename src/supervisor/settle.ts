/**
 * Settling an admitted call: classify its outcome, record it in the generation it was admitted in
 * (a result from an earlier generation is late and changes nothing), and turn an error into the
 * caller's outcome: the fallback's value, or the error. Every executor (inline, pool) ends here,
 * so a failure, a late result and a pool's own rejection mean the same for every call shape.
 */
import * as core from '../core/breaker.ts';
import { CallTimeoutError, countsAsFailure, ErrorCode } from '../errors.ts';
import type { Fallback, FallbackInfo } from '../types.ts';
import { type Engine, NOT_TIMED } from './engine.ts';
import type { ServiceRecord } from './service.ts';
import { applyTransition } from './transitions.ts';

/** Returned by `fallbackFor` when no fallback applies. */
export const NO_FALLBACK: unique symbol = Symbol('no fallback');

/** How an error from an admitted call is classified. */
export type ErrorKind = 'failure' | 'success' | 'ignored';

/** One settled call fewer in flight; wakes a draining close(). */
function end(e: Engine, svc: ServiceRecord): void {
  svc.inFlight--;
  if (e.onIdle !== undefined) e.onIdle();
}

export function succeeded(e: Engine, svc: ServiceRecord, gen: number, start: number): void {
  end(e, svc);
  svc.successful++;
  const b = svc.breaker;
  // Hot path: an untimed success in a closed breaker of the current generation, under a policy
  // that can't trip on a success and needs no time. (A listener for callSucceeded forces timing.)
  if (
    start === NOT_TIMED &&
    svc.cheapSuccess &&
    b.state === 'closed' &&
    gen === b.generation &&
    !svc.detached
  ) {
    b.policy.onSuccess(false, 0);
    return;
  }
  succeededSlow(e, svc, gen, start);
}

function succeededSlow(e: Engine, svc: ServiceRecord, gen: number, start: number): void {
  if (svc.detached) return;
  const b = svc.breaker;
  if (gen !== b.generation) {
    late(e, svc, gen, true);
    return;
  }
  const now = e.clock.now();
  let duration = 0;
  if (start !== NOT_TIMED) {
    duration = now - start;
    svc.recordLatency(duration, now);
  }
  const slowMs = b.policy.slowCallMs;
  const t = record(e, svc, true, slowMs !== undefined && duration >= slowMs, now);
  if (t !== null) applyTransition(e, svc, t);
  if (e.emitter.listening.callSucceeded) {
    e.emit('callSucceeded', { service: svc.name, at: now, durationMs: duration, state: b.state });
  }
}

/** Classifies an error an admitted call ended with, and records it. Returns the classification. */
export function errored(
  e: Engine,
  svc: ServiceRecord,
  gen: number,
  probe: boolean,
  start: number,
  error: unknown,
): ErrorKind {
  const kind = classify(e, svc, error);
  if (kind === 'success') succeeded(e, svc, gen, start);
  else if (kind === 'ignored') ignored(e, svc, gen, probe, error);
  else failed(e, svc, gen, start, error);
  return kind;
}

function classify(e: Engine, svc: ServiceRecord, error: unknown): ErrorKind {
  // Protection errors, and collateral losses of another call's fault, never count.
  if (!countsAsFailure(error)) return 'ignored';
  const isFailure = svc.breaker.options.isFailure;
  if (isFailure === undefined) return 'failure';
  try {
    return isFailure(error) ? 'failure' : 'success';
  } catch (classifierError) {
    e.logger?.error({ err: classifierError, service: svc.name }, 'isFailure threw; counting as failure');
    return 'failure';
  }
}

export function failed(e: Engine, svc: ServiceRecord, gen: number, start: number, error: unknown): void {
  end(e, svc);
  svc.failed++;
  const timeout =
    error instanceof CallTimeoutError || (error as { code?: unknown })?.code === ErrorCode.CallTimeout;
  if (timeout) svc.timedOut++;
  if (svc.detached) return;
  const b = svc.breaker;
  if (gen !== b.generation) {
    late(e, svc, gen, false);
    return;
  }
  const now = e.clock.now();
  const duration = start === NOT_TIMED ? 0 : now - start;
  if (start !== NOT_TIMED) svc.recordLatency(duration, now);
  const slowMs = b.policy.slowCallMs;
  const t = record(e, svc, false, slowMs !== undefined && duration >= slowMs, now);
  if (t !== null) applyTransition(e, svc, t);
  if (timeout && e.emitter.listening.callTimedOut) {
    e.emit('callTimedOut', {
      service: svc.name,
      at: now,
      timeoutMs: (error as CallTimeoutError).timeoutMs,
      state: b.state,
    });
  }
  if (e.emitter.listening.callFailed) {
    e.emit('callFailed', { service: svc.name, at: now, durationMs: duration, error, state: b.state });
  }
}

/** An admitted call ended in neither success nor failure (aborted, given up by close(), a pool protection). */
export function ignored(e: Engine, svc: ServiceRecord, gen: number, probe: boolean, error: unknown): void {
  end(e, svc);
  const code = (error as { code?: unknown } | undefined)?.code;
  // Only the caller's own abort is an abort; a call given up by close() was rejected by it.
  if (code === ErrorCode.Aborted) svc.aborted++;
  else svc.rejected++;
  if (svc.detached) return;
  // A probe returns its permit only within its own half-open period.
  if (probe && gen === svc.breaker.generation) core.recordIgnored(svc.breaker, true);
  if (code !== ErrorCode.Aborted && e.emitter.listening.callRejected) {
    e.emit('callRejected', {
      service: svc.name,
      at: e.clock.now(),
      code: String(code),
      state: svc.breaker.state,
    });
  }
}

/**
 * Runs a core step that calls into the trip policy. A custom policy that throws must not leave
 * the call unsettled or the breaker half-updated: its error is reported and the outcome is taken
 * as "no decision".
 */
function record(
  e: Engine,
  svc: ServiceRecord,
  ok: boolean,
  slow: boolean,
  now: number,
): core.Transition | null {
  try {
    return ok ? core.recordSuccess(svc.breaker, slow, now) : core.recordFailure(svc.breaker, slow, now);
  } catch (error) {
    e.report(error, svc.name, 'trip policy threw', 'BREAKWATER_POLICY_ERROR');
    return null;
  }
}

function late(e: Engine, svc: ServiceRecord, gen: number, ok: boolean): void {
  svc.late++;
  if (e.emitter.listening.lateResult) {
    e.emit('lateResult', {
      service: svc.name,
      at: e.clock.now(),
      ok,
      admittedGeneration: gen,
      currentGeneration: svc.breaker.generation,
    });
  }
}

/**
 * Records the error of an admitted call and turns it into the caller's outcome: the fallback's
 * value for a failure (with `fallbackOnFailure`) or for the pool's own protections (bulkhead,
 * queue wait: they degrade like a breaker rejection); otherwise the error is thrown.
 */
export function settleError<T>(
  e: Engine,
  svc: ServiceRecord,
  gen: number,
  probe: boolean,
  start: number,
  error: unknown,
  fallback: Fallback<T> | undefined,
): T | PromiseLike<T> {
  const kind = errored(e, svc, gen, probe, start, error);
  if (fallback === undefined) throw error;
  if (kind === 'failure') {
    const fb = fallbackFor(e, svc, fallback, 'failed', error);
    if (fb !== NO_FALLBACK) return fb;
  } else if (kind === 'ignored') {
    const code = (error as { code?: unknown } | undefined)?.code;
    if (code === ErrorCode.BulkheadFull || code === ErrorCode.QueueTimeout) {
      const fb = fallbackFor(e, svc, fallback, 'rejected', error);
      if (fb !== NO_FALLBACK) return fb;
    }
  }
  throw error;
}

/**
 * The fallback's value (or promise) for a rejected or failed call, or NO_FALLBACK. `error` may be
 * a thunk so the `{ value }` form never builds an error it doesn't need.
 */
export function fallbackFor<T>(
  e: Engine,
  svc: ServiceRecord,
  fallback: Fallback<T> | undefined,
  kind: 'rejected' | 'failed',
  error: unknown | (() => unknown),
): T | PromiseLike<T> | typeof NO_FALLBACK {
  if (fallback === undefined) return NO_FALLBACK;
  if (kind === 'failed' && !svc.options.fallbackOnFailure) return NO_FALLBACK;
  svc.fallbacks++;
  const listening = e.emitter.listening.fallback;
  if (typeof fallback !== 'function' && !listening) return fallback.value;
  const err = typeof error === 'function' ? (error as () => unknown)() : error;
  if (listening) e.emit('fallback', { service: svc.name, at: e.clock.now(), kind, error: err });
  return typeof fallback === 'function' ? fallback(err, fallbackInfo(svc, kind)) : fallback.value;
}

/** The `info` argument of a fallback function: one frozen object per service and kind. */
function fallbackInfo(svc: ServiceRecord, kind: 'rejected' | 'failed'): FallbackInfo {
  if (kind === 'rejected') {
    if (svc.rejectedInfo === undefined) svc.rejectedInfo = Object.freeze({ service: svc.name, kind });
    return svc.rejectedInfo;
  }
  if (svc.failedInfo === undefined) svc.failedInfo = Object.freeze({ service: svc.name, kind });
  return svc.failedInfo;
}
