/**
 * The Supervisor's own options, resolved once in its constructor: validated with errors that name
 * the field, defaults filled, and copied so later changes to the caller's objects can't leak in.
 */
import { DEFAULTS, MAX_MS } from '../defaults.ts';
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
}

const SUPERVISOR_KEYS: readonly string[] = ['clock', 'logger', 'defaults', 'restore', 'captureStacks'];

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
  };
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
