/**
 * The breaker's states and the reasons it moves between them: plain string unions at the bottom of
 * the import graph, so the core, the policies and the public types all read them from one place.
 */

/** Every state a breaker can be in. `forced-open` and `disabled` are set by hand only. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'forced-open' | 'disabled';

/** Why a transition happened. */
export type TransitionReason =
  /** the trip policy's failure count reached its threshold */
  | 'failure-threshold'
  /** the failure rate in the policy's window reached `failureRate` */
  | 'failure-rate'
  /** the slow-call rate in the policy's window reached `slowCallRate` */
  | 'slow-call-rate'
  /** open -> half-open: the scheduled reset timer fired */
  | 'recovery-timer'
  /** half-open -> closed: `halfOpen.successThreshold` consecutive probes succeeded */
  | 'probes-succeeded'
  /** half-open -> open: a probe failed */
  | 'probe-failed'
  /** half-open -> open: the probes did not finish within `halfOpen.maxWaitMs` */
  | 'half-open-timeout'
  /** `reset()`, `forceOpen()` or `disable()` */
  | 'manual'
  /** a snapshot was restored and the breaker's recovery time had passed while it was down */
  | 'restore'
  /** fleet mode: the change came from another node (or a fleet-wide operator command) */
  | 'fleet';
