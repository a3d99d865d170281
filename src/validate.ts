/**
 * Small validators used by every `resolve*Options()` function. Each throws the TypeError/RangeError
 * from `invalidOption()`, naming the field and the bad value.
 */
import { invalidOption } from './errors.ts';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional object option: `undefined` passes, anything else must be a plain object. */
export function objectOption(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalidOption('type', field, 'an object', value);
  return value;
}

/** An integer in [min, max]; `undefined` yields the default. */
export function intOption(
  value: unknown,
  field: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption('type', field, 'a number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidOption('range', field, rangeText('an integer', min, max), value);
  }
  return value;
}

/** A finite number in [min, max]; `undefined` yields the default. */
export function numberOption(
  value: unknown,
  field: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw invalidOption('type', field, 'a number', value);
  if (value < min || value > max) throw invalidOption('range', field, rangeText('a number', min, max), value);
  return value;
}

export function boolOption(value: unknown, field: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidOption('type', field, 'a boolean', value);
  return value;
}

/** A function that must be present. */
export function requiredFunction<F>(value: unknown, field: string): F {
  if (typeof value !== 'function') throw invalidOption('type', field, 'a function', value);
  return value as F;
}

export function functionOption<F>(value: unknown, field: string): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidOption('type', field, 'a function', value);
  return value as F;
}

function rangeText(kind: string, min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER || max === Number.POSITIVE_INFINITY) return `${kind} >= ${min}`;
  return `${kind} between ${min} and ${max}`;
}
