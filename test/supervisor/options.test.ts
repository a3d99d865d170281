/**
 * Options are validated once, with a TypeError (wrong type) or RangeError (out of range) whose code
 * is ERR_INVALID_OPTION and whose message names the field and the value; defaults are merged
 * under a service's options; the caller's objects are never mutated.
 */
import { describe, expect, it } from 'vitest';
import { isInvalidOptionError, ManualClock, Supervisor } from '../../src/index.ts';
import type { ServiceOptions, SupervisorOptions } from '../../src/types.ts';
import { failing, hanging, record } from './helpers.ts';

type Kind = typeof TypeError | typeof RangeError;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function expectInvalid(error: unknown, kind: Kind, field: string, message: string, value: unknown): void {
  expect(error).toBeInstanceOf(kind);
  expect(isInvalidOptionError(error)).toBe(true);
  expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field, message });
  expect(Object.is((error as { value: unknown }).value, value)).toBe(true);
}

const MAX = 2_147_483_647;

describe('register(name, options): invalid options', () => {
  const cases: [string, unknown, Kind, string, string, unknown][] = [
    ['options not an object', 5, TypeError, 'options', 'options must be an object, got 5', 5],
    [
      'breaker an array',
      { breaker: [] },
      TypeError,
      'options.breaker',
      'options.breaker must be an object, got an array',
      'array',
    ],
    [
      'halfOpen null',
      { breaker: { halfOpen: null } },
      TypeError,
      'options.breaker.halfOpen',
      'options.breaker.halfOpen must be an object, got null',
      null,
    ],
    [
      'maxCalls 0',
      { breaker: { halfOpen: { maxCalls: 0 } } },
      RangeError,
      'options.breaker.halfOpen.maxCalls',
      'options.breaker.halfOpen.maxCalls must be an integer between 1 and 1000000, got 0',
      0,
    ],
    [
      'maxCalls 1.5',
      { breaker: { halfOpen: { maxCalls: 1.5 } } },
      RangeError,
      'options.breaker.halfOpen.maxCalls',
      'options.breaker.halfOpen.maxCalls must be an integer between 1 and 1000000, got 1.5',
      1.5,
    ],
    [
      'maxCalls "2"',
      { breaker: { halfOpen: { maxCalls: '2' } } },
      TypeError,
      'options.breaker.halfOpen.maxCalls',
      'options.breaker.halfOpen.maxCalls must be a number, got "2"',
      '2',
    ],
    [
      'maxCalls NaN',
      { breaker: { halfOpen: { maxCalls: Number.NaN } } },
      TypeError,
      'options.breaker.halfOpen.maxCalls',
      'options.breaker.halfOpen.maxCalls must be a number, got NaN',
      Number.NaN,
    ],
    [
      'successThreshold > maxCalls',
      { breaker: { halfOpen: { maxCalls: 3, successThreshold: 4 } } },
      RangeError,
      'options.breaker.halfOpen.successThreshold',
      'options.breaker.halfOpen.successThreshold must be <= halfOpen.maxCalls (3), got 4',
      4,
    ],
    [
      'maxWaitMs 0',
      { breaker: { halfOpen: { maxWaitMs: 0 } } },
      RangeError,
      'options.breaker.halfOpen.maxWaitMs',
      `options.breaker.halfOpen.maxWaitMs must be an integer between 1 and ${MAX}, got 0`,
      0,
    ],
    [
      'openMs 0',
      { breaker: { openMs: 0 } },
      RangeError,
      'options.breaker.openMs',
      `options.breaker.openMs must be an integer between 1 and ${MAX}, got 0`,
      0,
    ],
    [
      'openMs Infinity',
      { breaker: { openMs: Number.POSITIVE_INFINITY } },
      RangeError,
      'options.breaker.openMs',
      `options.breaker.openMs must be an integer between 1 and ${MAX}, got Infinity`,
      Number.POSITIVE_INFINITY,
    ],
    [
      'openMs beyond setTimeout',
      { breaker: { openMs: MAX + 1 } },
      RangeError,
      'options.breaker.openMs',
      `options.breaker.openMs must be an integer between 1 and ${MAX}, got ${MAX + 1}`,
      MAX + 1,
    ],
    [
      'callTimeoutMs -1',
      { breaker: { callTimeoutMs: -1 } },
      RangeError,
      'options.breaker.callTimeoutMs',
      `options.breaker.callTimeoutMs must be an integer between 0 and ${MAX}, got -1`,
      -1,
    ],
    [
      'backoff a string',
      { breaker: { backoff: 'exp' } },
      TypeError,
      'options.breaker.backoff',
      'options.breaker.backoff must be an object, got "exp"',
      'exp',
    ],
    [
      'backoff kind',
      { breaker: { backoff: { kind: 'linear' } } },
      TypeError,
      'options.breaker.backoff.kind',
      'options.breaker.backoff.kind must be "constant" or "exponential", got "linear"',
      'linear',
    ],
    [
      'backoff factor',
      { breaker: { backoff: { kind: 'exponential', factor: 0.5 } } },
      RangeError,
      'options.breaker.backoff.factor',
      'options.breaker.backoff.factor must be a number between 1 and 1000, got 0.5',
      0.5,
    ],
    [
      'backoff jitter',
      { breaker: { backoff: { kind: 'exponential', jitter: 2 } } },
      RangeError,
      'options.breaker.backoff.jitter',
      'options.breaker.backoff.jitter must be a number between 0 and 1, got 2',
      2,
    ],
    [
      'backoff maxMs',
      { breaker: { backoff: { kind: 'exponential', maxMs: 0 } } },
      RangeError,
      'options.breaker.backoff.maxMs',
      `options.breaker.backoff.maxMs must be an integer between 1 and ${MAX}, got 0`,
      0,
    ],
    [
      'trip kind',
      { breaker: { trip: { kind: 'nope' } } },
      TypeError,
      'options.breaker.trip.kind',
      'options.breaker.trip.kind must be one of "consecutive", "failures-in-window", "count-window", "time-window", "custom", got "nope"',
      'nope',
    ],
    [
      'trip threshold',
      { breaker: { trip: { kind: 'consecutive', threshold: 0 } } },
      RangeError,
      'options.breaker.trip.threshold',
      'options.breaker.trip.threshold must be an integer >= 1, got 0',
      0,
    ],
    [
      'trip failureRate',
      { breaker: { trip: { kind: 'count-window', failureRate: 0 } } },
      RangeError,
      'options.breaker.trip.failureRate',
      'options.breaker.trip.failureRate must be a number in (0, 1], got 0',
      0,
    ],
    [
      'isFailure',
      { breaker: { isFailure: true } },
      TypeError,
      'options.breaker.isFailure',
      'options.breaker.isFailure must be a function, got true',
      true,
    ],
    [
      'fallback',
      { fallback: 'x' },
      TypeError,
      'options.fallback',
      'options.fallback must be a function or { value }, got "x"',
      'x',
    ],
    [
      'fallbackOnFailure',
      { fallbackOnFailure: 'yes' },
      TypeError,
      'options.fallbackOnFailure',
      'options.fallbackOnFailure must be a boolean, got "yes"',
      'yes',
    ],
    [
      'latencySampleEvery',
      { latencySampleEvery: 0 },
      RangeError,
      'options.latencySampleEvery',
      'options.latencySampleEvery must be an integer between 1 and 1048576, got 0',
      0,
    ],
  ];

  it.each(cases)('%s', (_label, options, kind, field, message, value) => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    const registered = record(sup, 'registered');
    const error = caught(() => sup.register('svc', options as ServiceOptions));
    // `value` of an array is compared by kind: the message says "an array".
    if (value === 'array') {
      expect(error).toBeInstanceOf(kind);
      expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field, message });
    } else {
      expectInvalid(error, kind, field, message, value);
    }
    // Nothing half-registered.
    expect(sup.has('svc')).toBe(false);
    expect(registered).toEqual([]);
    sup.register('svc');
  });

  it.each([
    ['', '""'],
    [5, '5'],
    [undefined, 'undefined'],
  ])('name %j is refused', (name, shown) => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    const error = caught(() => sup.register(name as string));
    expectInvalid(error, TypeError, 'name', `name must be a non-empty string, got ${shown}`, name);
  });
});

describe('new Supervisor(options): invalid options', () => {
  const cases: [string, unknown, Kind, string, string][] = [
    ['options not an object', 5, TypeError, 'options', 'options must be an object, got 5'],
    [
      'clock not an object',
      { clock: 5 },
      TypeError,
      'options.clock',
      'options.clock must be an object, got 5',
    ],
    [
      'clock.now not a function',
      { clock: { now: 5, setTimeout, clearTimeout } },
      TypeError,
      'options.clock.now',
      'options.clock.now must be a function, got 5',
    ],
    [
      'logger.warn not a function',
      { logger: { info: () => {}, warn: 'x', error: () => {} } },
      TypeError,
      'options.logger.warn',
      'options.logger.warn must be a function, got "x"',
    ],
    [
      'captureStacks',
      { captureStacks: 1 },
      TypeError,
      'options.captureStacks',
      'options.captureStacks must be a boolean, got 1',
    ],
    [
      'defaults',
      { defaults: { breaker: { openMs: 0 } } },
      RangeError,
      'options.defaults.breaker.openMs',
      `options.defaults.breaker.openMs must be an integer between 1 and ${MAX}, got 0`,
    ],
    [
      'restore',
      { restore: 'snapshot' },
      TypeError,
      'options.restore',
      'options.restore must be a snapshot object, got "snapshot"',
    ],
  ];

  it.each(cases)('%s', (_label, options, kind, field, message) => {
    const error = caught(() => new Supervisor(options as SupervisorOptions));
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field, message });
  });

  it('close() options are validated too (the promise rejects)', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    await expect(sup.close({ timeoutMs: -1 })).rejects.toMatchObject({
      name: 'RangeError',
      code: 'ERR_INVALID_OPTION',
      message: 'options.timeoutMs must be an integer between 0 and 2147483647, got -1',
    });
  });
});

describe('the caller’s objects', () => {
  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
  }

  it('are never mutated (deeply frozen input works, and is unchanged after use)', async () => {
    const isFailure = (e: unknown) => e !== 'benign';
    const options = deepFreeze({
      breaker: {
        trip: { kind: 'count-window' as const, size: 4, minimumCalls: 2, failureRate: 0.5 },
        openMs: 100,
        backoff: { kind: 'exponential' as const, factor: 2, maxMs: 400 },
        halfOpen: { maxCalls: 1, successThreshold: 1 },
        callTimeoutMs: 50,
        isFailure,
      },
      fallback: { value: 'cached' },
      fallbackOnFailure: true,
    });
    const defaults = deepFreeze({ breaker: { halfOpen: { maxWaitMs: 1_000 } }, latencySampleEvery: 2 });
    const before = JSON.stringify({ options, defaults });
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock, defaults });
    sup.register('a', options);
    sup.register('b', options);
    for (let i = 0; i < 4; i++) await sup.run('a', failing());
    clock.advance(100);
    const probe = sup.run('a', () => hanging());
    clock.advance(1_000);
    await expect(probe).resolves.toBe('cached');
    sup.snapshot();
    expect(JSON.stringify({ options, defaults })).toBe(before);
    expect(options.breaker.isFailure).toBe(isFailure);
  });

  it('changing an options object after register changes nothing', async () => {
    const options = {
      breaker: {
        trip: { kind: 'consecutive' as const, threshold: 2 },
        openMs: 100,
        halfOpen: { maxCalls: 1 },
      },
    };
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register('svc', options);
    options.breaker.trip.threshold = 1;
    options.breaker.openMs = 5;
    options.breaker.halfOpen.maxCalls = 10;
    await sup.run('svc', failing()).catch(() => undefined);
    expect(sup.state('svc')).toBe('closed');
    await sup.run('svc', failing()).catch(() => undefined);
    expect(sup.metrics('svc').nextRecoveryAttempt).toBe(100);
  });
});

describe('defaults', () => {
  it('are merged under each service’s options (breaker and halfOpen one level deep)', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({
      clock,
      defaults: {
        breaker: {
          trip: { kind: 'consecutive', threshold: 1 },
          openMs: 500,
          halfOpen: { maxCalls: 1, successThreshold: 1 },
        },
        fallback: { value: 'default fallback' },
      },
    });
    sup.register('inherits');
    sup.register('overrides', {
      breaker: { openMs: 2_000, halfOpen: { maxWaitMs: 300 } },
      fallback: { value: 'own' },
    });
    for (const name of ['inherits', 'overrides']) await sup.run(name, failing()).catch(() => undefined);
    expect(sup.metrics('inherits').nextRecoveryAttempt).toBe(500);
    expect(sup.metrics('overrides').nextRecoveryAttempt).toBe(2_000);
    await expect(sup.run('inherits', () => 'x')).resolves.toBe('default fallback');
    await expect(sup.run('overrides', () => 'x')).resolves.toBe('own');
    clock.advance(2_000);
    // halfOpen.maxCalls 1 came from the defaults, maxWaitMs 300 from the service.
    void sup.run('overrides', () => hanging(), { timeoutMs: 0 }).catch(() => undefined);
    await expect(sup.run('overrides', () => 'x', { fallback: { value: 'full' } })).resolves.toBe('full');
    clock.advance(300);
    expect(sup.state('overrides')).toBe('open');
  });

  it('successThreshold defaults to min(3, maxCalls); maxWaitMs to max(2 * callTimeoutMs, 60 s)', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register('svc', {
      breaker: {
        trip: { kind: 'consecutive', threshold: 1 },
        openMs: 100,
        halfOpen: { maxCalls: 2 },
        callTimeoutMs: 40_000,
      },
    });
    await sup.run('svc', failing()).catch(() => undefined);
    clock.advance(100);
    await sup.run('svc', () => 1);
    expect(sup.state('svc')).toBe('half-open');
    await sup.run('svc', () => 2);
    expect(sup.state('svc')).toBe('closed');
    await sup.run('svc', failing()).catch(() => undefined);
    clock.advance(100);
    void sup.run('svc', () => hanging(), { timeoutMs: 0 }).catch(() => undefined);
    clock.advance(79_999);
    expect(sup.state('svc')).toBe('half-open');
    clock.advance(1);
    expect(sup.state('svc')).toBe('open');
  });
});
