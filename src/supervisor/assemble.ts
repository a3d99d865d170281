/**
 * What the Supervisor constructor builds, in two steps around its `super()` call: the parts
 * (options resolved once, the engine, the registry with the saved state to restore), then, once
 * the supervisor exists, their links to it (the hooks' seam in hooks.ts; in fleet mode the fleet,
 * attached through fleet-host.ts).
 */
import type { Fleet } from '../fleet/types.ts';
import { Engine } from './engine.ts';
import { type HostSupervisor, SupervisorFleetHost } from './fleet-host.ts';
import { registerInternals } from './hooks.ts';
import { Registry } from './register.ts';
import { resolveSupervisorOptions } from './supervisor-options.ts';

export interface SupervisorParts {
  readonly engine: Engine;
  readonly registry: Registry;
  readonly fleet: Fleet | undefined;
}

/** Resolves the supervisor's options (throwing on bad ones) and builds its engine and registry. */
export function buildParts(options: unknown): SupervisorParts {
  const o = resolveSupervisorOptions(options);
  const engine = new Engine(o.clock, o.logger, o.captureStacks);
  return { engine, registry: new Registry(engine, o.defaults, o.restore?.services ?? {}), fleet: o.fleet };
}

/** Links the parts to their supervisor: called last in its constructor, when it can answer calls. */
export function attachParts(sup: HostSupervisor, parts: SupervisorParts): void {
  const { engine, fleet } = parts;
  registerInternals(sup, engine, parts.registry.services);
  if (fleet !== undefined)
    new SupervisorFleetHost(sup, fleet, (event, payload) => engine.emit(event, payload));
}
