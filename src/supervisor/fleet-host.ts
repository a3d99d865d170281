/**
 * Fleet mode's adapter on the supervisor's side: a `FleetHost` built on the transition hooks
 * (hooks.ts). The fleet hears of every committed transition, answers the gate before
 * open -> half-open, and changes breakers only through `adopt()` and the gate, so events stay
 * exactly-once and in order. Nothing here runs on a call's path.
 *
 * A service registered with `fleet: false` is invisible to the fleet: its transitions are not
 * reported, its gate is always open, and the fleet can neither see nor change its breaker (also
 * through a link the fleet kept from an earlier, shared registration of the same name).
 */

import { invalidOption } from '../errors.ts';
import type { SupervisorEvents } from '../events.ts';
import type {
  Fleet,
  FleetDegradedEvent,
  FleetHost,
  FleetRestoredEvent,
  FleetServiceView,
  FleetUpdate,
} from '../fleet/types.ts';
import type { Clock } from '../time/clock.ts';
import type { ManualOptions } from '../types.ts';
import { knownKeys, objectOption } from '../validate.ts';
import { attachHooks, type HookHandle } from './hooks.ts';

/** The part of the Supervisor the adapter reads (its public API). */
export interface HostSupervisor {
  readonly clock: Clock;
  services(): string[];
  on(event: 'registered', listener: (e: SupervisorEvents['registered'][0]) => void): unknown;
}

type Emit = <E extends 'fleetDegraded' | 'fleetRestored'>(event: E, payload: SupervisorEvents[E][0]) => void;

export class SupervisorFleetHost implements FleetHost {
  readonly #sup: HostSupervisor;
  readonly #handle: HookHandle;
  readonly #emit: Emit;

  /** Installs the hooks and attaches `fleet`. */
  constructor(sup: HostSupervisor, fleet: Fleet, emit: Emit) {
    this.#sup = sup;
    this.#emit = emit;
    const handle = attachHooks(sup, {
      transitioned: (service, t) => {
        if (handle.shared(service)) fleet.transitioned(service, { from: t.from, to: t.to, reason: t.reason });
      },
      beforeHalfOpen: (service, now) => (handle.shared(service) ? fleet.beforeHalfOpen(service, now) : null),
    });
    this.#handle = handle;
    sup.on('registered', (e) => {
      if (handle.shared(e.service)) fleet.registered(e.service);
    });
    fleet.attach(this);
  }

  get clock(): Clock {
    return this.#sup.clock;
  }

  services(): readonly string[] {
    return this.#sup.services().filter((name) => this.#handle.shared(name));
  }

  view(service: string): FleetServiceView | undefined {
    const b = this.#handle.breaker(service);
    if (b === undefined || !this.#handle.shared(service)) return undefined;
    const o = b.options;
    const backoff =
      o.backoff.kind === 'constant'
        ? { openMs: o.openMs, factor: 1, maxMs: o.openMs, jitter: 0 }
        : { openMs: o.openMs, factor: o.backoff.factor, maxMs: o.backoff.maxMs, jitter: o.backoff.jitter };
    return { state: b.state, reason: b.reason, backoff, halfOpenMaxWaitMs: o.halfOpen.maxWaitMs };
  }

  adopt(service: string, update: FleetUpdate, command: boolean): void {
    const b = this.#handle.breaker(service);
    if (b === undefined || !this.#handle.shared(service)) return;
    // A breaker forced open or disabled by hand on this node stays so, until a fleet-wide command.
    if ((b.state === 'forced-open' || b.state === 'disabled') && b.reason === 'manual' && !command) return;
    const at = update.state === 'open' ? this.#sup.clock.now() + update.remainingMs : null;
    this.#handle.adopt(service, update.state, at, update.origin);
  }

  release(service: string): void {
    if (this.#handle.shared(service)) this.#handle.recover(service);
  }

  degraded(event: FleetDegradedEvent): void {
    this.#emit('fleetDegraded', event);
  }

  restored(event: FleetRestoredEvent): void {
    this.#emit('fleetRestored', event);
  }
}

/** The `scope` of a reset / forceOpen / disable, validated: `fleet` needs an attached fleet. */
export function manualScope(options: ManualOptions | undefined, fleet: Fleet | undefined): 'local' | 'fleet' {
  const o = objectOption(options, 'options');
  if (o === undefined) return 'local';
  knownKeys(o, ['scope'], 'options');
  const scope = o.scope ?? 'local';
  if (scope !== 'local' && scope !== 'fleet')
    throw invalidOption('type', 'options.scope', "'local' or 'fleet'", scope);
  if (scope === 'fleet' && fleet === undefined) {
    throw invalidOption('type', 'options.scope', "'local' (no fleet is attached to this supervisor)", scope);
  }
  return scope;
}

/**
 * A fleet-wide command on a service kept local (`fleet: false`) would reach no other node, while
 * the operator asked for every node: refused, before anything changes.
 */
export function checkFleetCommand(service: string, shared: boolean): void {
  if (shared) return;
  throw invalidOption(
    'type',
    'options.scope',
    `'local' (service ${JSON.stringify(service)} is registered with fleet: false)`,
    'fleet',
  );
}
