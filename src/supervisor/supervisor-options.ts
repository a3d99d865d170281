/**
 * The Supervisor's own options, resolved once in its constructor: validated with errors that name
 * the field, defaults filled, and copied so later changes to the caller's objects can't leak in.
 */
import { DEFAULTS, MAX_MS } from '../defaults.ts';
import { invalidOption } from '../errors.ts';
import type { Fleet } from '../fleet/types.ts';
import { copyServiceOptions, resolveServiceOptions } from '../options.ts';
import { type Clock, systemClock } from '../time/clock.ts';
import type { Logger, ServiceOptions, SupervisorSnapshot } from '../types.ts';
import { boolOption, intOption, knownKeys, objectOption, requiredFunction } from '../validate.ts';
import { validateSnapshot } from './snapshot.ts';

export interface ResolvedSupervisorOptions {
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly defaults: ServiceOptions | undefined;
  readonly restore: SupervisorSnapshot | undefined;
  readonly captureStacks: boolean;
  readonly fleet: Fleet | undefined;
}

const SUPERVISOR_KEYS: readonly string[] = [
  'clock',
  'logger',
  'defaults',
  'restore',
  'captureStacks',
  'fleet',
];

/** What a fleet must implement (src/fleet/types.ts). */
const FLEET_METHODS = [
  'attach',
  'registered',
  'beforeHalfOpen',
  'transitioned',
  'command',
  'status',
  'close',
] as const;

export function resolveSupervisorOptions(input: unknown): ResolvedSupervisorOptions {
  const o = objectOption(input, 'options') ?? {};
  knownKeys(o, SUPERVISOR_KEYS, 'options');
  const clock = objectOption(o.clock, 'options.clock') as Clock | undefined;
  if (clock !== undefined) {
    for (const m of ['now', 'setTimeout', 'clearTimeout'] as const)
      requiredFunction(clock[m], `options.clock.${m}`);
  }
  const logger = objectOption(o.logger, 'options.logger') as Logger | undefined;
  if (logger !== undefined) {
    for (const m of ['info', 'warn', 'error'] as const) requiredFunction(logger[m], `options.logger.${m}`);
  }
  const fleet = o.fleet as Fleet | undefined;
  if (fleet !== undefined) {
    if (typeof fleet !== 'object' || fleet === null)
      throw invalidOption('type', 'options.fleet', 'a fleet (new RedisFleet())', fleet);
    for (const m of FLEET_METHODS) requiredFunction(fleet[m], `options.fleet.${m}`);
  }
  const defaults = objectOption(o.defaults, 'options.defaults') as ServiceOptions | undefined;
  if (defaults !== undefined) resolveServiceOptions(defaults, 'options.defaults');
  return {
    clock: clock ?? systemClock,
    logger,
    // Copied at every level: later changes to the caller's object must not reach a later register().
    defaults: defaults === undefined ? undefined : copyServiceOptions(defaults),
    // A deep copy: the snapshot is JSON, and later changes to the caller's object must not leak in.
    restore:
      o.restore === undefined ? undefined : structuredClone(validateSnapshot(o.restore, 'options.restore')),
    captureStacks: boolOption(o.captureStacks, 'options.captureStacks', false),
    fleet,
  };
}

/** Options of `Supervisor.close()`. */
export interface CloseOptions {
  /** Let running (and, for pools, queued) calls finish first. @default false */
  readonly drain?: boolean;
  /** Bound on draining; what is left then is rejected with ERR_SUPERVISOR_CLOSED. @default 30_000 */
  readonly timeoutMs?: number;
}

/** `close()`'s options, checked before close() changes anything. */
export function resolveCloseOptions(input: unknown): { drain: boolean; timeoutMs: number } {
  const o = objectOption(input, 'options') ?? {};
  knownKeys(o, ['drain', 'timeoutMs'], 'options');
  return {
    drain: boolOption(o.drain, 'options.drain', false),
    timeoutMs: intOption(o.timeoutMs, 'options.timeoutMs', DEFAULTS.close.drainTimeoutMs, 0, MAX_MS),
  };
}
