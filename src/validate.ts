/**
 * Small validators used by every `resolve*Options()` function. Each throws the TypeError/RangeError
 * from `invalidOption()`, naming the field and the bad value.
 */
import { invalidOption } from './errors.ts';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Refuses keys an options object does not know (a typo would otherwise run with the default):
 * a TypeError naming the full path, with the known key it was probably meant to be.
 */
export function knownKeys(
  o: Readonly<Record<string, unknown>>,
  keys: readonly string[],
  field: string,
): void {
  for (const key of Object.keys(o)) {
    if (!keys.includes(key)) throw unknownOption(o[key], key, keys, field);
  }
}

/** The error for an unknown key `key` of the options at `field`. */
export function unknownOption(
  value: unknown,
  key: string,
  keys: readonly string[],
  field: string,
): ReturnType<typeof invalidOption> {
  const near = closest(key, keys);
  const hint = near === undefined ? '' : ` (did you mean \`${near}\`?)`;
  return invalidOption('type', `${field}.${key}`, `a known option${hint}`, value);
}

/** The known key nearest to a misspelt one, if it is close enough to be what was meant. */
export function closest(key: string, keys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const k = key.toLowerCase();
  for (const candidate of keys) {
    const d = distance(k, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // One edit in four characters (at least one, at most three) still reads as a typo, not another word.
  const allowed = Math.min(3, Math.max(1, Math.floor(key.length / 4)));
  return bestDistance <= allowed ? best : undefined;
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Number.POSITIVE_INFINITY;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
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

/**
 * Reads and checks the fields of one options object; `undefined` means "use the default". The
 * functions above are its one-off form for objects read field by field.
 */
export class FieldReader {
  readonly #input: Readonly<Record<string, unknown>>;
  readonly field: string;

  constructor(input: Readonly<Record<string, unknown>>, field: string) {
    this.#input = input;
    this.field = field;
  }

  /** A safe integer in `[min, max]`; a non-integer number is out of range (as in Node's own validators). */
  integer(key: string, fallback: number, min: number, max?: number, why = ''): number {
    const value = this.#input[key];
    if (value === undefined) return fallback;
    const expectation =
      max === undefined ? `an integer >= ${min}` : `an integer between ${min} and ${max}${why}`;
    if (typeof value !== 'number') throw invalidOption('type', `${this.field}.${key}`, expectation, value);
    if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
      throw invalidOption('range', `${this.field}.${key}`, expectation, value);
    }
    return value;
  }

  /** A rate in (0, 1]. */
  rate(key: string): number | undefined {
    return this.#number(key, 'a number in (0, 1]', (v) => v > 0 && v <= 1);
  }

  /** A finite number > 0. */
  positive(key: string): number | undefined {
    return this.#number(key, 'a finite number > 0', (v) => v > 0 && Number.isFinite(v));
  }

  #number(key: string, expectation: string, inRange: (value: number) => boolean): number | undefined {
    const value = this.#input[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number') throw invalidOption('type', `${this.field}.${key}`, expectation, value);
    if (!inRange(value)) throw invalidOption('range', `${this.field}.${key}`, expectation, value);
    return value;
  }
}
