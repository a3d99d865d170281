/**
 * The manual controls (reset, forceOpen, disable): the scope is checked before anything changes,
 * the transition is applied locally, then a fleet-wide command goes to every other node.
 */
import * as core from '../core/breaker.ts';
import type { Fleet, FleetCommand } from '../fleet/types.ts';
import type { ManualOptions } from '../types.ts';
import type { Engine } from './engine.ts';
import { checkFleetCommand, manualScope } from './fleet-host.ts';
import type { Registry } from './register.ts';
import { applyTransition } from './transitions.ts';

/** Each control by the name its fleet-wide command travels under, and its transition in the core. */
const OPS: Readonly<Record<FleetCommand, (b: core.Breaker, now: number) => core.Transition | null>> = {
  reset: core.reset,
  'force-open': core.forceOpen,
  disable: core.disable,
};

export function manualControl(
  e: Engine,
  r: Registry,
  fleet: Fleet | undefined,
  name: string,
  command: FleetCommand,
  options: ManualOptions | undefined,
): void {
  const scope = manualScope(options, fleet);
  const svc = r.get(name);
  if (scope === 'fleet') checkFleetCommand(name, svc.options.fleet);
  const t = OPS[command](svc.breaker, e.clock.now());
  if (t !== null) applyTransition(e, svc, t);
  if (scope === 'fleet') fleet?.command(name, command);
}
