/**
 * Options are resolved once (p-queue's habit): copied, defaults filled, validated with messages
 * that name the field. The caller's objects are never mutated or kept.
 */

import type { ResolvedBackoff, ResolvedBreakerOptions } from './core/config.ts';
import { DEFAULTS, MAX_MS } from './defaults.ts';
import { invalidOption } from './errors.ts';
import { resolveTripOptions } from './policy/options.ts';
import type { BreakerOptions, Fallback, ServiceOptions, TripOptions } from './types.ts';
import {
  boolOption,
  functionOption,
  intOption,
  isPlainObject,
  knownKeys,
  numberOption,
  objectOption,
} from './validate.ts';

export interface ResolvedServiceOptions {
  readonly breaker: ResolvedBreakerOptions;
  readonly fallback: Fallback<unknown> | undefined;
  readonly fallbackOnFailure: boolean;
  readonly latencySampleEvery: number;
  /** Shared with the supervisor's fleet (when it has one). */
  readonly fleet: boolean;
}

/** The keys of a service's options, its own and its pool's (the pool resolves those: src/pool/options.ts). */
export const SERVICE_KEYS: readonly string[] = [
  'breaker',
  'fallback',
  'fallbackOnFailure',
  'latencySampleEvery',
  'fleet',
  'worker',
  'threads',
  'idleTimeoutMs',
  'concurrentTasksPerWorker',
  'maxQueue',
  'queueTimeoutMs',
  'abortGraceMs',
  'resourceLimits',
  'batching',
];
const BREAKER_KEYS: readonly string[] = [
  'trip',
  'openMs',
  'backoff',
  'halfOpen',
  'callTimeoutMs',
  'isFailure',
];
const HALF_OPEN_KEYS: readonly string[] = ['maxCalls', 'successThreshold', 'maxWaitMs'];
const THREADS_KEYS: readonly string[] = ['min', 'max'];
const BATCHING_KEYS: readonly string[] = ['maxBatch'];

/** Checks a `{ value }` or function fallback; `field` names it in the error. */
export function checkFallback(fallback: unknown, field: string): Fallback<unknown> | undefined {
  if (fallback === undefined || typeof fallback === 'function') return fallback as Fallback<unknown>;
  if (!isPlainObject(fallback) || !('value' in fallback)) {
    throw invalidOption('type', field, 'a function or { value }', fallback);
  }
  knownKeys(fallback, ['value'], field);
  return fallback as Fallback<unknown>;
}

/** A copy of plain option objects at every level (functions, URLs and a fallback's value are kept as they are). */
export function copyServiceOptions(o: ServiceOptions): ServiceOptions {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(o)) {
    copy[key] =
      key === 'fallback' && isPlainObject(value) ? { ...value } : key === 'worker' ? value : copyPlain(value);
  }
  return copy as ServiceOptions;
}

function copyPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyPlain);
  if (!isPlainObject(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = copyPlain(v);
  return out;
}

/** Merges supervisor-wide defaults under a service's options (breaker and halfOpen merged one level deep). */
export function mergeServiceOptions(
  defaults: ServiceOptions | undefined,
  options: ServiceOptions | undefined,
): ServiceOptions {
  if (defaults === undefined) return options ?? {};
  if (options === undefined) return defaults;
  // Check shapes before spreading, or a bad value (breaker: 5) would vanish into the merge.
  objectOption(options, 'options');
  const b = objectOption(options.breaker, 'options.breaker');
  if (b !== undefined) objectOption(b.halfOpen, 'options.breaker.halfOpen');
  const breaker =
    defaults.breaker === undefined || options.breaker === undefined
      ? (options.breaker ?? defaults.breaker)
      : {
          ...defaults.breaker,
          ...definedEntries(options.breaker),
          halfOpen: { ...defaults.breaker.halfOpen, ...definedEntries(options.breaker.halfOpen) },
        };
  return { ...defaults, ...definedEntries(options), ...(breaker === undefined ? {} : { breaker }) };
}

/** An option set to `undefined` means "not given" (exactOptionalPropertyTypes): it must not hide a default. */
function definedEntries<T extends object>(o: T | undefined): Partial<T> {
  if (o === undefined) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function resolveServiceOptions(input: unknown, field = 'options'): ResolvedServiceOptions {
  const o = objectOption(input, field) ?? {};
  knownKeys(o, SERVICE_KEYS, field);
  const threads = objectOption(o.threads, `${field}.threads`);
  if (threads !== undefined) knownKeys(threads, THREADS_KEYS, `${field}.threads`);
  if (isPlainObject(o.batching)) knownKeys(o.batching, BATCHING_KEYS, `${field}.batching`);
  const fallback = checkFallback(o.fallback, `${field}.fallback`);
  return {
    breaker: resolveBreakerOptions(o.breaker, `${field}.breaker`),
    fallback,
    fallbackOnFailure: boolOption(o.fallbackOnFailure, `${field}.fallbackOnFailure`, false),
    latencySampleEvery: intOption(
      o.latencySampleEvery,
      `${field}.latencySampleEvery`,
      DEFAULTS.latencySampleEvery,
      1,
      1 << 20,
    ),
    fleet: boolOption(o.fleet, `${field}.fleet`, true),
  };
}

export function resolveBreakerOptions(input: unknown, field = 'breaker'): ResolvedBreakerOptions {
  const o = (objectOption(input, field) ?? {}) as BreakerOptions & Record<string, unknown>;
  knownKeys(o, BREAKER_KEYS, field);
  const callTimeoutMs = intOption(
    o.callTimeoutMs,
    `${field}.callTimeoutMs`,
    DEFAULTS.callTimeoutMs,
    0,
    MAX_MS,
  );
  const h = objectOption(o.halfOpen, `${field}.halfOpen`) ?? {};
  knownKeys(h, HALF_OPEN_KEYS, `${field}.halfOpen`);
  const maxCalls = intOption(
    h.maxCalls,
    `${field}.halfOpen.maxCalls`,
    DEFAULTS.halfOpen.maxCalls,
    1,
    1_000_000,
  );
  const successThreshold = intOption(
    h.successThreshold,
    `${field}.halfOpen.successThreshold`,
    Math.min(DEFAULTS.halfOpen.successThreshold, maxCalls),
    1,
    1_000_000,
  );
  if (successThreshold > maxCalls) {
    // With fewer permits than required successes a half-open period could never close.
    throw invalidOption(
      'range',
      `${field}.halfOpen.successThreshold`,
      `<= halfOpen.maxCalls (${maxCalls})`,
      successThreshold,
    );
  }
  const maxWaitMs = intOption(
    h.maxWaitMs,
    `${field}.halfOpen.maxWaitMs`,
    Math.min(MAX_MS, Math.max(2 * callTimeoutMs, DEFAULTS.halfOpen.minMaxWaitMs)),
    1,
    MAX_MS,
  );
  return {
    trip: resolveTripOptions(o.trip as TripOptions | undefined, `${field}.trip`),
    openMs: intOption(o.openMs, `${field}.openMs`, DEFAULTS.openMs, 1, MAX_MS),
    backoff: resolveBackoff(o.backoff, `${field}.backoff`),
    halfOpen: { maxCalls, successThreshold, maxWaitMs },
    callTimeoutMs,
    isFailure: functionOption<(error: unknown) => boolean>(o.isFailure, `${field}.isFailure`),
  };
}

function resolveBackoff(input: unknown, field: string): ResolvedBackoff {
  const o = objectOption(input, field);
  if (o === undefined) return { kind: 'constant' };
  if (o.kind === 'constant') {
    knownKeys(o, ['kind'], field);
    return { kind: 'constant' };
  }
  if (o.kind !== 'exponential')
    throw invalidOption('type', `${field}.kind`, '"constant" or "exponential"', o.kind);
  knownKeys(o, ['kind', 'factor', 'maxMs', 'jitter'], field);
  return {
    kind: 'exponential',
    factor: numberOption(o.factor, `${field}.factor`, DEFAULTS.backoff.factor, 1, 1_000),
    maxMs: intOption(o.maxMs, `${field}.maxMs`, DEFAULTS.backoff.maxMs, 1, MAX_MS),
    jitter: numberOption(o.jitter, `${field}.jitter`, DEFAULTS.backoff.jitter, 0, 1),
  };
}
