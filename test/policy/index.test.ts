import { describe, expect, it } from 'vitest';
import { isInvalidOptionError } from '../../src/errors.ts';
import {
  ConsecutivePolicy,
  CountWindowPolicy,
  createPolicy,
  FailuresInWindowPolicy,
  resolveTripOptions,
  TimeWindowPolicy,
  type TripPolicy,
} from '../../src/policy/index.ts';
import type { TripOptions } from '../../src/types.ts';

const create = (options: TripOptions | undefined) =>
  createPolicy(resolveTripOptions(options, 'breaker.trip'));

/** A minimal hand-written policy, as a user would pass with `kind: 'custom'`. */
function everyThirdCallTrips(): TripPolicy {
  let calls = 0;
  const decide = () => (++calls % 3 === 0 ? 'failure-threshold' : null);
  return {
    kind: 'every-third',
    needsTimeOnSuccess: false,
    slowCallMs: undefined,
    onSuccess: decide,
    onFailure: decide,
    reset: () => {
      calls = 0;
    },
    consecutiveFailures: () => 0,
    stats: () => ({ calls, failures: 0, slowCalls: 0 }),
    toJSON: () => ({ calls }),
    restore: () => {},
  };
}

describe('createPolicy', () => {
  it.each([
    [undefined, ConsecutivePolicy, 'consecutive', false, undefined],
    [{ kind: 'consecutive', threshold: 2 }, ConsecutivePolicy, 'consecutive', false, undefined],
    [{ kind: 'failures-in-window' }, FailuresInWindowPolicy, 'failures-in-window', false, undefined],
    [{ kind: 'count-window', slowCallMs: 300 }, CountWindowPolicy, 'count-window', false, 300],
    [{ kind: 'time-window' }, TimeWindowPolicy, 'time-window', true, undefined],
  ] as const)('%o makes a %o', (options, type, kind, needsTime, slowCallMs) => {
    const policy = create(options);
    expect(policy).toBeInstanceOf(type);
    expect([policy.kind, policy.needsTimeOnSuccess, policy.slowCallMs]).toEqual([
      kind,
      needsTime,
      slowCallMs,
    ]);
  });

  it('makes an independent policy each time', () => {
    const resolved = resolveTripOptions({ kind: 'consecutive', threshold: 2 }, 'breaker.trip');
    const a = createPolicy(resolved);
    const b = createPolicy(resolved);
    a.onFailure(false, 0);
    expect([a.consecutiveFailures(), b.consecutiveFailures()]).toEqual([1, 0]);
  });

  it('calls create() of a custom policy once per breaker and uses what it returns', () => {
    const policy = create({ kind: 'custom', create: everyThirdCallTrips });
    expect([policy.onSuccess(false, 0), policy.onFailure(false, 0), policy.onSuccess(false, 0)]).toEqual([
      null,
      null,
      'failure-threshold',
    ]);
    expect(create({ kind: 'custom', create: everyThirdCallTrips })).not.toBe(policy);
  });

  it.each([
    [null, 'an object'],
    [{}, 'missing method onSuccess()'],
    [{ ...everyThirdCallTrips(), restore: undefined }, 'missing method restore()'],
    [{ ...everyThirdCallTrips(), kind: 3 }, 'kind must be a string'],
    [{ ...everyThirdCallTrips(), needsTimeOnSuccess: 'no' }, 'needsTimeOnSuccess must be a boolean'],
    [{ ...everyThirdCallTrips(), slowCallMs: -1 }, 'slowCallMs must be undefined or a finite number > 0'],
  ])('rejects a custom create() that returns %o', (made, problem) => {
    const options = resolveTripOptions({ kind: 'custom', create: () => made as TripPolicy }, 'breaker.trip');
    let thrown: unknown;
    try {
      createPolicy(options, 'services.geo.breaker.trip');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect(isInvalidOptionError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_OPTION', field: 'services.geo.breaker.trip.create' });
    const prefix = `services.geo.breaker.trip.create must be a function returning a TripPolicy (${problem}), got `;
    expect((thrown as Error).message.slice(0, prefix.length)).toBe(prefix);
  });

  it('names breaker.trip.create by default', () => {
    const options = resolveTripOptions({ kind: 'custom', create: () => ({}) as TripPolicy }, 'breaker.trip');
    expect(() => createPolicy(options)).toThrow(
      'breaker.trip.create must be a function returning a TripPolicy (missing method onSuccess()), got {}',
    );
  });
});
