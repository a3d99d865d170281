/**
 * Checks of per-call arguments, for the supervisor and for the remote client: made before
 * admission (so a bad call is never counted, never holds a permit, and never reaches the
 * scheduler: a NaN deadline would), strict about unknown keys. They return the error instead of
 * throwing, since async entry points reject rather than throw.
 */
import { type InvalidOptionError, invalidOption } from './errors.ts';
import { isPlainObject, unknownOption } from './validate.ts';

/** The keys of `run()`'s options. */
export const RUN_KEYS: readonly string[] = ['signal', 'timeoutMs', 'fallback'];
/** The keys of `call()`'s options. */
export const CALL_KEYS: readonly string[] = ['signal', 'timeoutMs', 'fallback', 'transferList'];
/** The keys of a remote client's call options (a fallback, a function, can't cross threads). */
export const REMOTE_KEYS: readonly string[] = ['signal', 'timeoutMs', 'transferList'];

/** Whether `key` is one of `keys`; the two lists of the hot call paths answer without a search. */
function isKey(key: string, keys: readonly string[]): boolean {
  if (key === 'timeoutMs' || key === 'signal') return true;
  if (keys === RUN_KEYS) return key === 'fallback';
  if (keys === CALL_KEYS) return key === 'fallback' || key === 'transferList';
  return keys.includes(key);
}

import { MAX_MS } from './defaults.ts';

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
    if (!isKey(key, keys)) return unknownOption(options[key], key, keys, 'options');
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

/** A worker call's handler, arguments and options, checked before anything is looked up or counted. */
export function checkPoolCall(
  handler: unknown,
  args: unknown,
  options: unknown,
  keys: readonly string[] = CALL_KEYS,
): InvalidOptionError | undefined {
  if (typeof handler !== 'string' || handler === '')
    return invalidOption('type', 'handler', 'a non-empty string', handler);
  if (!Array.isArray(args)) return invalidOption('type', 'args', 'an array', args);
  return options === undefined ? undefined : checkCall(undefined, '', options, keys);
}
