/**
 * What the admin server needs from a supervisor. A structural subset of `Supervisor`, so the HTTP
 * layer depends on the supervisor's public API only (never its internals) and any object with
 * these methods — a real `Supervisor`, or a wrapper around one — can be served.
 */
import type { SupervisorEventName, SupervisorListener } from '../events.ts';
import type { FleetStatus } from '../fleet/types.ts';
import type { Clock } from '../time/clock.ts';
import type { CircuitState, HealthReport, ServiceCounters, ServiceMetrics } from '../types.ts';

/** The part of `Supervisor`'s public API the admin server uses. */
export interface AdminSupervisor {
  readonly clock: Clock;
  /** True once the supervisor is closed or closing (`/livez` and `/readyz` then answer 503). */
  readonly closed?: boolean;
  services(): string[];
  has(name: string): boolean;
  state(name: string): CircuitState;
  /** One service's metrics. Throws for an unknown service (or when its trip policy's stats() throws). */
  metrics(name: string): ServiceMetrics;
  /** `metrics(name)` without the response-time figures: what /metrics and /readyz read. */
  counters(name: string): ServiceCounters;
  allMetrics(): Record<string, ServiceMetrics>;
  health(): HealthReport;
  reset(name: string, options?: ControlOptions): void;
  forceOpen(name: string, options?: ControlOptions): void;
  disable(name: string, options?: ControlOptions): void;
  /** Fleet mode: present on a Supervisor; `undefined` when no fleet is attached. */
  fleetStatus?(): FleetStatus | undefined;
  on<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
  off<E extends SupervisorEventName>(event: E, listener: SupervisorListener<E>): unknown;
}

/** `?scope=fleet` on a control endpoint: the change on every node of the supervisor's fleet. */
export interface ControlOptions {
  readonly scope?: 'local' | 'fleet';
}

/** Every state, in the order the `breakwater_circuit_state` gauge and the dashboard list them. */
export const CIRCUIT_STATES: readonly CircuitState[] = [
  'closed',
  'open',
  'half-open',
  'forced-open',
  'disabled',
];
