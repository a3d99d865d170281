/**
 * Applying a transition the core returned, the last step of the pipeline and the one place where
 * its effects happen, in this order: the breaker's timer (cancel the old one, arm the new one),
 * the hooks (a fleet publishes it here), the log line, the `stateChange` event.
 */
import * as core from '../core/breaker.ts';
import { adopt, postponeRecovery } from '../core/restore.ts';
import type { CircuitState } from '../core/states.ts';
import type { Engine } from './engine.ts';
import type { ServiceRecord } from './service.ts';

/**
 * Internal hooks into every supervisor's transitions (see hooks.ts for how they are attached).
 * A hook that throws is reported (logger or process warning) and changes nothing.
 */
export interface TransitionHooks {
  /**
   * After a transition is committed and its timer armed, before it is logged and emitted. Also
   * called for transitions adopted through `adopt()` (their reason is `fleet`); not for a timer
   * re-armed without a state change.
   */
  transitioned?(service: string, t: core.Transition, breaker: Readonly<core.Breaker>): void;
  /**
   * The gate before open -> half-open (the recovery timer, or a call finding the breaker overdue).
   * Return `null` to go half-open now, or a clock time: the breaker stays open until then (its
   * timer re-armed, rejections reporting that time) and the gate is asked again.
   */
  beforeHalfOpen?(service: string, now: number): number | null;
}

/** Applies a transition the core returned: timer, hooks, log, event (in that order). */
export function applyTransition(e: Engine, svc: ServiceRecord, t: core.Transition, origin?: string): void {
  if (svc.timer !== undefined) {
    e.scheduler.cancel(svc.timer);
    svc.timer = undefined;
  }
  if (t.timerAt !== null) {
    const gen = t.generation;
    svc.timer = e.scheduler.schedule(t.timerAt, () => timerFired(e, svc, gen));
  }
  if (t.from === t.to) return; // a re-armed or restored timer, not a transition
  const b = svc.breaker;
  const hook = e.hooks?.transitioned;
  if (hook !== undefined) {
    try {
      hook(svc.name, t, b);
    } catch (error) {
      e.report(error, svc.name, 'transition hook threw', 'BREAKWATER_HOOK_ERROR');
    }
  }
  logTransition(e, svc.name, t);
  e.emit('stateChange', {
    service: svc.name,
    from: t.from,
    to: t.to,
    reason: t.reason,
    at: b.lastChange,
    generation: t.generation,
    nextRecoveryAttempt: b.state === 'open' ? b.nextAttemptAt : null,
    consecutiveFailures: b.policy.consecutiveFailures(),
    ...(origin === undefined ? {} : { origin }),
  });
}

/** The one log line of a transition: `warn` for opens, `info` otherwise. */
function logTransition(e: Engine, service: string, t: core.Transition): void {
  const logger = e.logger;
  if (logger === undefined) return;
  const level = t.to === 'open' || t.to === 'forced-open' ? 'warn' : 'info';
  logger[level]({ service, from: t.from, to: t.to, reason: t.reason }, 'circuit state change');
}

function timerFired(e: Engine, svc: ServiceRecord, gen: number): void {
  svc.timer = undefined;
  if (svc.detached || svc.breaker.generation !== gen) return;
  const now = e.clock.now();
  if (svc.breaker.state === 'open') {
    recover(e, svc, now);
    return;
  }
  const t = core.timerFired(svc.breaker, now);
  if (t !== null) applyTransition(e, svc, t);
}

/**
 * An open breaker whose time has come moves to half-open, unless the gate says "not yet".
 * `overdueOnly`: only if its due time has passed (a call arriving at an open breaker).
 */
export function recover(e: Engine, svc: ServiceRecord, now: number, overdueOnly = false): void {
  const b = svc.breaker;
  if (overdueOnly && (b.nextAttemptAt === null || now < b.nextAttemptAt)) return;
  const gate = e.hooks?.beforeHalfOpen;
  if (gate !== undefined) {
    let until: number | null = null;
    try {
      until = gate(svc.name, now);
    } catch (error) {
      e.report(error, svc.name, 'beforeHalfOpen hook threw', 'BREAKWATER_HOOK_ERROR');
    }
    if (until !== null && Number.isFinite(until) && until > now) {
      const t = postponeRecovery(b, until);
      if (t !== null) applyTransition(e, svc, t);
      return;
    }
  }
  const t = core.timerFired(b, now);
  if (t !== null) applyTransition(e, svc, t);
}

/** Applies a state decided elsewhere (reason `fleet`); nothing happens when the state is the same. */
export function adoptState(
  e: Engine,
  svc: ServiceRecord,
  to: CircuitState,
  nextAttemptAt: number | null = null,
  origin?: string,
): boolean {
  const t = adopt(svc.breaker, to, e.clock.now(), nextAttemptAt);
  if (t === null) return false;
  applyTransition(e, svc, t, origin);
  return true;
}
