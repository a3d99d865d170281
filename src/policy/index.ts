/**
 * Trip policies: which outcomes open a breaker. `resolveTripOptions()` checks the user's options once;
 * `createPolicy()` makes a fresh policy per breaker from them.
 */
import { invalidOption } from '../errors.ts';
import { ConsecutivePolicy } from './consecutive.ts';
import { CountWindowPolicy } from './count-window.ts';
import { FailuresInWindowPolicy } from './failures-in-window.ts';
import type { ResolvedTripOptions } from './options.ts';
import { TimeWindowPolicy } from './time-window.ts';
import type { TripPolicy } from './types.ts';

export { type ConsecutiveJSON, ConsecutivePolicy } from './consecutive.ts';
export { type CountWindowJSON, CountWindowPolicy } from './count-window.ts';
export { type FailuresInWindowJSON, FailuresInWindowPolicy } from './failures-in-window.ts';
export {
  MAX_WINDOW_SLOTS,
  type OptionsJSON,
  type RateRule,
  type ResolvedConsecutiveOptions,
  type ResolvedCountWindowOptions,
  type ResolvedCustomOptions,
  type ResolvedFailuresInWindowOptions,
  type ResolvedTimeWindowOptions,
  type ResolvedTripOptions,
  resolveTripOptions,
} from './options.ts';
export { type TimeWindowJSON, TimeWindowPolicy } from './time-window.ts';
export type { TripPolicy, TripReason, WindowStats } from './types.ts';

/** Methods every policy must have; checked on what a custom `create()` returns. */
const POLICY_METHODS = [
  'onSuccess',
  'onFailure',
  'reset',
  'consecutiveFailures',
  'stats',
  'toJSON',
  'restore',
] as const satisfies readonly (keyof TripPolicy)[];

/**
 * Makes a fresh policy for one breaker. For `custom` options it calls `create()` and checks that the
 * result looks like a {@link TripPolicy}; `field` names the options in that error.
 * @throws TypeError (code `ERR_INVALID_OPTION`, field `<field>.create`) when `create()` returns
 * something that is not a policy.
 */
export function createPolicy(options: ResolvedTripOptions, field = 'breaker.trip'): TripPolicy {
  switch (options.kind) {
    case 'consecutive':
      return new ConsecutivePolicy(options);
    case 'failures-in-window':
      return new FailuresInWindowPolicy(options);
    case 'count-window':
      return new CountWindowPolicy(options);
    case 'time-window':
      return new TimeWindowPolicy(options);
    case 'custom':
      return checkPolicy(options.create(), `${field}.create`);
    default: {
      const unknownKind: never = options;
      throw invalidOption('type', `${field}.kind`, 'a known trip policy kind', unknownKind);
    }
  }
}

function checkPolicy(policy: unknown, field: string): TripPolicy {
  const fail = (missing: string): never => {
    throw invalidOption('type', field, `a function returning a TripPolicy (${missing})`, policy);
  };
  if (typeof policy !== 'object' || policy === null) return fail('an object');
  const candidate = policy as Partial<Record<keyof TripPolicy, unknown>>;
  for (const method of POLICY_METHODS) {
    if (typeof candidate[method] !== 'function') fail(`missing method ${method}()`);
  }
  if (typeof candidate.kind !== 'string') fail('kind must be a string');
  if (typeof candidate.needsTimeOnSuccess !== 'boolean') fail('needsTimeOnSuccess must be a boolean');
  const slow = candidate.slowCallMs;
  if (slow !== undefined && !(typeof slow === 'number' && slow > 0 && Number.isFinite(slow))) {
    fail('slowCallMs must be undefined or a finite number > 0');
  }
  return policy as TripPolicy;
}
