import { describe, expect, it } from 'vitest';
import { isInvalidOptionError } from '../../src/errors.ts';
import { MAX_WINDOW_SLOTS, resolveTripOptions } from '../../src/policy/options.ts';
import type { TripPolicy } from '../../src/policy/types.ts';
import type { TripOptions } from '../../src/types.ts';

const FIELD = 'breaker.trip';
/** Lets a test pass input the types forbid, as plain JavaScript callers can. */
const untyped = (value: unknown) => value as TripOptions;

/** Runs `resolveTripOptions` and returns what it threw, as plain data. */
function failure(input: unknown, field = FIELD) {
  try {
    resolveTripOptions(untyped(input), field);
  } catch (error) {
    if (!isInvalidOptionError(error)) throw error;
    return { type: error.constructor.name, code: error.code, field: error.field, message: error.message };
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('resolveTripOptions', () => {
  it('defaults to five consecutive failures within a minute', () => {
    expect(resolveTripOptions(undefined, FIELD)).toEqual({
      kind: 'consecutive',
      threshold: 5,
      windowMs: 60_000,
    });
  });

  it.each<[TripOptions, object]>([
    [{ kind: 'consecutive' }, { kind: 'consecutive', threshold: 5, windowMs: 60_000 }],
    [
      { kind: 'consecutive', windowMs: 0 },
      { kind: 'consecutive', threshold: 5, windowMs: 0 },
    ],
    [
      { kind: 'failures-in-window', threshold: 3 },
      { kind: 'failures-in-window', threshold: 3, windowMs: 60_000 },
    ],
    [
      { kind: 'count-window' },
      {
        kind: 'count-window',
        size: 100,
        minimumCalls: 10,
        failureRate: 0.5,
        slowCallRate: undefined,
        slowCallMs: undefined,
      },
    ],
    [
      { kind: 'time-window', slowCallRate: 0.8, slowCallMs: 2000 },
      {
        kind: 'time-window',
        windowMs: 60_000,
        buckets: 10,
        minimumCalls: 10,
        failureRate: 0.5,
        slowCallRate: 0.8,
        slowCallMs: 2000,
      },
    ],
    [
      { kind: 'time-window', windowMs: 5, buckets: 5, failureRate: 1 },
      {
        kind: 'time-window',
        windowMs: 5,
        buckets: 5,
        minimumCalls: 10,
        failureRate: 1,
        slowCallRate: undefined,
        slowCallMs: undefined,
      },
    ],
  ])('fills the defaults of %o', (input, resolved) => {
    expect(resolveTripOptions(input, FIELD)).toStrictEqual(resolved);
  });

  it('copies the input without mutating it, and returns a frozen object', () => {
    const input = Object.freeze({ kind: 'count-window', size: 20 } as const);
    const resolved = resolveTripOptions(input, FIELD);
    expect(resolved).not.toBe(input);
    expect(input).toEqual({ kind: 'count-window', size: 20 });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it('treats fields set to undefined as absent', () => {
    const input = untyped({ kind: 'consecutive', threshold: undefined, windowMs: undefined });
    expect(resolveTripOptions(input, FIELD)).toEqual({ kind: 'consecutive', threshold: 5, windowMs: 60_000 });
  });

  it('keeps `create` of a custom policy', () => {
    const create = (): TripPolicy => {
      throw new Error('not called while resolving');
    };
    expect(resolveTripOptions({ kind: 'custom', create }, FIELD)).toEqual({ kind: 'custom', create });
  });

  it.each([
    [
      { kind: 'consecutive', threshold: 0 },
      'RangeError',
      'breaker.trip.threshold must be an integer >= 1, got 0',
    ],
    [
      { kind: 'consecutive', threshold: '5' },
      'TypeError',
      'breaker.trip.threshold must be an integer >= 1, got "5"',
    ],
    [
      { kind: 'consecutive', threshold: 2.5 },
      'RangeError',
      'breaker.trip.threshold must be an integer >= 1, got 2.5',
    ],
    [
      { kind: 'consecutive', windowMs: -1 },
      'RangeError',
      'breaker.trip.windowMs must be an integer >= 0, got -1',
    ],
    [
      { kind: 'failures-in-window', windowMs: 0 },
      'RangeError',
      'breaker.trip.windowMs must be an integer >= 1, got 0',
    ],
    [
      { kind: 'failures-in-window', windowMs: Number.POSITIVE_INFINITY },
      'RangeError',
      'breaker.trip.windowMs must be an integer >= 1, got Infinity',
    ],
    [
      { kind: 'bogus' },
      'TypeError',
      'breaker.trip.kind must be one of "consecutive", "failures-in-window", "count-window", "time-window", "custom", got "bogus"',
    ],
    [
      { threshold: 3 },
      'TypeError',
      'breaker.trip.kind must be one of "consecutive", "failures-in-window", "count-window", "time-window", "custom", got undefined',
    ],
    [null, 'TypeError', "breaker.trip must be an object like { kind: 'consecutive' }, got null"],
    [
      'consecutive',
      'TypeError',
      `breaker.trip must be an object like { kind: 'consecutive' }, got "consecutive"`,
    ],
    [
      { kind: 'count-window', size: MAX_WINDOW_SLOTS + 1 },
      'RangeError',
      'breaker.trip.size must be an integer between 1 and 10000000, got 10000001',
    ],
    [
      { kind: 'count-window', size: 20, minimumCalls: 21 },
      'RangeError',
      'breaker.trip.minimumCalls must be an integer between 1 and 20 (the window size), got 21',
    ],
    [
      { kind: 'count-window', failureRate: 0 },
      'RangeError',
      'breaker.trip.failureRate must be a number in (0, 1], got 0',
    ],
    [
      { kind: 'count-window', failureRate: 1.01 },
      'RangeError',
      'breaker.trip.failureRate must be a number in (0, 1], got 1.01',
    ],
    [
      { kind: 'count-window', failureRate: Number.NaN },
      'RangeError',
      'breaker.trip.failureRate must be a number in (0, 1], got NaN',
    ],
    [
      { kind: 'count-window', failureRate: '50%' },
      'TypeError',
      'breaker.trip.failureRate must be a number in (0, 1], got "50%"',
    ],
    [
      { kind: 'count-window', slowCallRate: 0.5 },
      'TypeError',
      'breaker.trip.slowCallMs must be a finite number > 0 when slowCallRate is set, got undefined',
    ],
    [
      { kind: 'time-window', slowCallRate: 0.5, slowCallMs: 0 },
      'RangeError',
      'breaker.trip.slowCallMs must be a finite number > 0, got 0',
    ],
    [
      { kind: 'time-window', slowCallRate: -0.5, slowCallMs: 10 },
      'RangeError',
      'breaker.trip.slowCallRate must be a number in (0, 1], got -0.5',
    ],
    [
      { kind: 'time-window', windowMs: 5, buckets: 6 },
      'RangeError',
      'breaker.trip.buckets must be an integer between 1 and 5 (windowMs: each bucket spans at least 1 ms), got 6',
    ],
    [
      { kind: 'time-window', buckets: 0 },
      'RangeError',
      'breaker.trip.buckets must be an integer between 1 and 60000 (windowMs: each bucket spans at least 1 ms), got 0',
    ],
    [
      { kind: 'time-window', windowMs: 86_400_000, buckets: 86_400_000 },
      'RangeError',
      'breaker.trip.buckets must be an integer between 1 and 10000000, got 86400000',
    ],
    [
      { kind: 'time-window', minimumCalls: 0 },
      'RangeError',
      'breaker.trip.minimumCalls must be an integer >= 1, got 0',
    ],
    [
      { kind: 'custom', create: {} },
      'TypeError',
      'breaker.trip.create must be a function returning a TripPolicy, got {}',
    ],
  ])('rejects %o: %s', (input, type, message) => {
    const field = message.slice(0, message.indexOf(' must'));
    expect(failure(input)).toEqual({ type, code: 'ERR_INVALID_OPTION', field, message });
  });

  it('names the field with the path it is given', () => {
    expect(failure({ kind: 'count-window', size: 0 }, 'defaults.breaker.trip')).toMatchObject({
      type: 'RangeError',
      field: 'defaults.breaker.trip.size',
      message: 'defaults.breaker.trip.size must be an integer between 1 and 10000000, got 0',
    });
  });

  it('carries the bad value on the error', () => {
    try {
      resolveTripOptions(untyped({ kind: 'consecutive', threshold: -3 }), FIELD);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field: 'breaker.trip.threshold', value: -3 });
    }
  });
});
