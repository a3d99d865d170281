/**
 * The seam for code that must see or steer every transition of a supervisor without being part of
 * its public API (a fleet that shares breaker state between processes): `attachHooks(sup, hooks)`
 * installs hooks on the pipeline's last step (transitions.ts) and returns a handle that applies
 * transitions decided elsewhere. Internal: not exported from the package entry.
 */
import type { Breaker } from '../core/breaker.ts';
import type { CircuitState } from '../core/states.ts';
import { UnknownServiceError } from '../errors.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';
import { adoptState, recover, type TransitionHooks } from './transitions.ts';

export type { TransitionHooks } from './transitions.ts';

/** What attachHooks() needs of a supervisor: its engine and its services (set by the constructor). */
interface Internals {
  readonly engine: Engine;
  readonly services: ReadonlyMap<string, ServiceRecord>;
}

const internals = new WeakMap<object, Internals>();

/** Called once by the Supervisor constructor. */
export function registerInternals(
  sup: object,
  engine: Engine,
  services: ReadonlyMap<string, ServiceRecord>,
): void {
  internals.set(sup, { engine, services });
}

export interface HookHandle {
  /**
   * Applies a state decided elsewhere to one service (reason `fleet`; the hooks' `transitioned`
   * sees it too). `nextAttemptAt` sets an adopted open period's recovery time. Returns false when
   * the breaker was already in that state. `origin` (the deciding node) goes into the event.
   */
  adopt(service: string, to: CircuitState, nextAttemptAt?: number | null, origin?: string): boolean;
  /** One service's breaker, read only; undefined when it is not (or no longer) registered. */
  breaker(service: string): Readonly<Breaker> | undefined;
  /** True when the service is registered and takes part in fleet mode (not `fleet: false`). */
  shared(service: string): boolean;
  /**
   * Asks the gate again, now, for an open breaker it held back (what held it has changed: a lease
   * won, Redis gone). With the gate's yes the breaker goes half-open (reason `recovery-timer`).
   */
  recover(service: string): void;
  /** Removes the hooks. */
  detach(): void;
}

/** Installs `hooks` on a supervisor (one set at a time: a second attach replaces the first). */
export function attachHooks(sup: object, hooks: TransitionHooks): HookHandle {
  const inner = internals.get(sup);
  if (inner === undefined) throw new TypeError('attachHooks() needs a Supervisor');
  const { engine, services } = inner;
  engine.hooks = hooks;
  return {
    adopt(service, to, nextAttemptAt = null, origin) {
      const svc = services.get(service);
      if (svc === undefined) throw new UnknownServiceError(service);
      return adoptState(engine, svc, to, nextAttemptAt, origin);
    },
    breaker(service) {
      const svc = services.get(service);
      return svc === undefined || svc.detached ? undefined : svc.breaker;
    },
    shared(service) {
      const svc = services.get(service);
      return svc !== undefined && !svc.detached && svc.options.fleet;
    },
    recover(service) {
      const svc = services.get(service);
      if (svc !== undefined && !svc.detached && svc.breaker.state === 'open') {
        recover(engine, svc, engine.clock.now());
      }
    },
    detach() {
      if (engine.hooks === hooks) engine.hooks = undefined;
    },
  };
}
