/**
 * The typed event map. Every payload is one object with at least `service` and `at` (clock ms).
 * Only the supervisor emits, and only after the state it reports is committed.
 */
import type { FleetDegradedEvent, FleetRestoredEvent } from './fleet/types.ts';
import type { CircuitState, TransitionReason } from './types.ts';

export type { FleetDegradedEvent, FleetRestoredEvent };

export interface StateChangeEvent {
  readonly service: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: TransitionReason;
  readonly at: number;
  /** Breaker generation after the change (it grows by one per transition). */
  readonly generation: number;
  /** When the breaker will move to half-open, for transitions into `open`; else `null`. */
  readonly nextRecoveryAttempt: number | null;
  /** Consecutive failures when the change happened. */
  readonly consecutiveFailures: number;
  /** Fleet mode, reason `fleet`: the node that decided the change. */
  readonly origin?: string;
}

export interface CallSucceededEvent {
  readonly service: string;
  readonly at: number;
  readonly durationMs: number;
  readonly state: CircuitState;
}

export interface CallFailedEvent {
  readonly service: string;
  readonly at: number;
  readonly durationMs: number;
  readonly error: unknown;
  readonly state: CircuitState;
}

export interface CallRejectedEvent {
  readonly service: string;
  readonly at: number;
  /** The protection error's code: ERR_CIRCUIT_OPEN, ERR_HALF_OPEN_FULL, ERR_BULKHEAD_FULL, ... */
  readonly code: string;
  readonly state: CircuitState;
}

export interface CallTimedOutEvent {
  readonly service: string;
  readonly at: number;
  readonly timeoutMs: number;
  readonly state: CircuitState;
}

export interface FallbackEvent {
  readonly service: string;
  readonly at: number;
  readonly kind: 'rejected' | 'failed';
  /** The error the fallback replaced. */
  readonly error: unknown;
}

export interface LateResultEvent {
  readonly service: string;
  readonly at: number;
  readonly ok: boolean;
  /** Generation the call was admitted in, and the breaker's generation when the result arrived. */
  readonly admittedGeneration: number;
  readonly currentGeneration: number;
}

export interface ListenerErrorEvent {
  readonly service: string | undefined;
  readonly at: number;
  /** The event whose listener threw. */
  readonly event: keyof SupervisorEvents;
  readonly error: unknown;
}

export interface ServiceRegisteredEvent {
  readonly service: string;
  readonly at: number;
  readonly state: CircuitState;
}

/** Event name -> listener arguments (eventemitter3's typed map form). */
export interface SupervisorEvents {
  stateChange: [StateChangeEvent];
  callSucceeded: [CallSucceededEvent];
  callFailed: [CallFailedEvent];
  callRejected: [CallRejectedEvent];
  callTimedOut: [CallTimedOutEvent];
  fallback: [FallbackEvent];
  lateResult: [LateResultEvent];
  listenerError: [ListenerErrorEvent];
  registered: [ServiceRegisteredEvent];
  /** Fleet mode: Redis is down, slow or partitioned; every breaker decides locally. */
  fleetDegraded: [FleetDegradedEvent];
  /** Fleet mode: Redis answers again and the shared state was re-read. */
  fleetRestored: [FleetRestoredEvent];
}

export type SupervisorEventName = keyof SupervisorEvents;
export type SupervisorListener<E extends SupervisorEventName> = (...args: SupervisorEvents[E]) => void;

/** Per-call events: emitted only while someone listens, so they cost nothing otherwise. */
export const CALL_EVENTS = [
  'callSucceeded',
  'callFailed',
  'callRejected',
  'callTimedOut',
  'fallback',
  'lateResult',
] as const;
