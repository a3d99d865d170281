/**
 * A call's options resolved against its service, once, after they were checked (src/call-checks.ts):
 * the call's plan (its timeout, signal, fallback), which every step after admission reads.
 */
import type { TransferListItem } from 'node:worker_threads';
import type { CallOptions, Fallback } from '../types.ts';

/** A call's options resolved against its service: what every step after admission reads. */
export interface CallPlan<T> {
  /** `0`: no timeout. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly fallback: Fallback<T> | undefined;
  readonly transferList: readonly TransferListItem[] | undefined;
}

/**
 * The plan of a call without options: the service's timeout and fallback. Written like
 * planCall()'s plans, property for property, and not frozen, so that every plan shares one hidden
 * class and the steps that read plans stay monomorphic.
 */
export function servicePlan(timeoutMs: number, fallback: Fallback<unknown> | undefined): CallPlan<unknown> {
  return { timeoutMs, signal: undefined, fallback, transferList: undefined };
}

/** The plan of a call (validated by checkCall); a call without options shares its service's. */
export function planCall<T>(
  servicePlan: CallPlan<unknown>,
  options: CallOptions<T> | undefined,
): CallPlan<T> {
  if (options === undefined) return servicePlan as CallPlan<T>;
  return {
    timeoutMs: options.timeoutMs ?? servicePlan.timeoutMs,
    signal: options.signal,
    fallback: options.fallback ?? (servicePlan.fallback as Fallback<T> | undefined),
    transferList: options.transferList,
  };
}
