/**
 * A call's options, read once: validated before admission (so a bad call is never counted, never
 * holds a permit, and never reaches the scheduler: a NaN deadline would), then resolved against
 * the service into the call's plan (its timeout, signal, fallback). Validation returns the error
 * instead of throwing, since async entry points reject rather than throw.
 */
import type { TransferListItem } from 'node:worker_threads';
import { type InvalidOptionError, invalidOption } from '../errors.ts';
import type { CallOptions, Fallback } from '../types.ts';
import { isPlainObject, unknownOption } from '../validate.ts';

/** The keys of `run()`'s options. */
export const RUN_KEYS: readonly string[] = ['signal', 'timeoutMs', 'fallback'];
/** The keys of `call()`'s options. */
export const CALL_KEYS: readonly string[] = ['signal', 'timeoutMs', 'fallback', 'transferList'];

import { MAX_MS } from '../defaults.ts';

function isAbortSignal(value: unknown): value is AbortSignal {
  // Duck-typed so signals from another realm (vm contexts, other copies of undici) are accepted.
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AbortSignal).aborted === 'boolean' &&
    typeof (value as AbortSignal).addEventListener === 'function' &&
    typeof (value as AbortSignal).removeEventListener === 'function'
  );
}

/** Checks the work function and the per-call options; `undefined` when all is well. */
export function checkCall(
  work: unknown,
  workField: string,
  options: unknown,
  keys: readonly string[] = RUN_KEYS,
): InvalidOptionError | undefined {
  if (typeof work !== 'function' && workField !== '')
    return invalidOption('type', workField, 'a function', work);
  if (options === undefined) return undefined;
  if (!isPlainObject(options)) return invalidOption('type', 'options', 'an object', options);
  // A for-in over a small options object, not Object.keys(): no array per call.
  for (const key in options) {
    if (key === 'timeoutMs' || key === 'signal' || key === 'fallback') continue;
    if (key !== 'transferList' || keys !== CALL_KEYS)
      return unknownOption(options[key], key, keys, 'options');
  }
  const { timeoutMs, signal, fallback, transferList } = options;
  if (timeoutMs !== undefined) {
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs)) {
      return invalidOption('type', 'options.timeoutMs', 'a number', timeoutMs);
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_MS) {
      return invalidOption('range', 'options.timeoutMs', `an integer between 0 and ${MAX_MS}`, timeoutMs);
    }
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    return invalidOption('type', 'options.signal', 'an AbortSignal', signal);
  }
  if (fallback !== undefined && typeof fallback !== 'function') {
    if (!isPlainObject(fallback) || !('value' in fallback))
      return invalidOption('type', 'options.fallback', 'a function or { value }', fallback);
    for (const key in fallback) {
      if (key !== 'value') return unknownOption(fallback[key], key, ['value'], 'options.fallback');
    }
  }
  if (transferList !== undefined && !Array.isArray(transferList)) {
    return invalidOption('type', 'options.transferList', 'an array', transferList);
  }
  return undefined;
}

/** A call's options resolved against its service: what every step after admission reads. */
export interface CallPlan<T> {
  /** `0`: no timeout. */
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly fallback: Fallback<T> | undefined;
  readonly transferList: readonly TransferListItem[] | undefined;
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

/** A worker call's handler, arguments and options, checked before anything is looked up or counted. */
export function checkPoolCall(
  handler: unknown,
  args: unknown,
  options: unknown,
): InvalidOptionError | undefined {
  if (typeof handler !== 'string' || handler === '')
    return invalidOption('type', 'handler', 'a non-empty string', handler);
  if (!Array.isArray(args)) return invalidOption('type', 'args', 'an array', args);
  return options === undefined ? undefined : checkCall(undefined, '', options, CALL_KEYS);
}
