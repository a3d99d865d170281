/**
 * The manual controls (reset, forceOpen, disable): the scope is checked before anything changes,
 * the transition is applied locally, then a fleet-wide command goes to every other node.
 */
import type * as core from '../core/breaker.ts';
import type { Fleet, FleetCommand } from '../fleet/types.ts';
import type { ManualOptions } from '../types.ts';
import type { Engine } from './engine.ts';
import { checkFleetCommand, manualScope } from './fleet-host.ts';
import type { Registry } from './register.ts';
import { applyTransition } from './transitions.ts';

export function manualControl(
  e: Engine,
  r: Registry,
  fleet: Fleet | undefined,
  name: string,
  op: (b: core.Breaker, now: number) => core.Transition | null,
  command: FleetCommand,
  options: ManualOptions | undefined,
): void {
  const scope = manualScope(options, fleet);
  const svc = r.get(name);
  if (scope === 'fleet') checkFleetCommand(name, svc.options.fleet);
  const t = op(svc.breaker, e.clock.now());
  if (t !== null) applyTransition(e, svc, t);
  if (scope === 'fleet') fleet?.command(name, command);
}
