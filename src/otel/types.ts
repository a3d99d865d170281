/**
 * What `breakwater/otel` needs from a supervisor: a structural subset of `Supervisor`'s public API
 * (so a wrapper around one works too).
 */
import type { SupervisorEventName, SupervisorListener } from '../events.ts';
import type { CircuitState, ServiceCounters } from '../types.ts';

export interface OtelSupervisor {
  services(): string[];
  state(name: string): CircuitState;
  /** Per-service figures without response-time percentiles (cheap enough for every collection). */
  counters(name: string): ServiceCounters;
  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
}
