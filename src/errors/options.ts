/** The error of a bad option: a TypeError or RangeError with a stable code, the field and the value. */
import { ErrorCode } from './base.ts';

/** A TypeError or RangeError raised by option validation, carrying a stable code and the field. */
export type InvalidOptionError = (TypeError | RangeError) & {
  readonly code: typeof ErrorCode.InvalidOption;
  /** Dotted path of the bad option, e.g. `breaker.halfOpen.maxCalls`. */
  readonly field: string;
  readonly value: unknown;
};

/**
 * Makes the error for a bad option: a `TypeError` when the value has the wrong type, a `RangeError`
 * when it is of the right type but out of range. The message names the field and the value:
 * `breaker.halfOpen.maxCalls must be an integer >= 1, got 0`.
 */
export function invalidOption(
  kind: 'type' | 'range',
  field: string,
  expectation: string,
  value: unknown,
): InvalidOptionError {
  const message = `${field} must be ${expectation}, got ${describe(value)}`;
  const error = kind === 'type' ? new TypeError(message) : new RangeError(message);
  return Object.assign(error, { code: ErrorCode.InvalidOption, field, value });
}

/** Short description of a value for error messages: `0`, `"abc"`, `[object]`, `undefined`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return 'an object';
  }
}
