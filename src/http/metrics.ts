/**
 * Prometheus metrics of one admin server, in its own prom-client `Registry` (never the global one,
 * so two servers, or a user's own metrics, never collide).
 *
 * Two sources: gauges and cumulative counters are read from `sup.allMetrics()` at scrape time
 * (collect callbacks, one `allMetrics()` per scrape); transitions and call durations are fed by
 * supervisor events. Per-call events fire only while someone listens, so subscribing here turns
 * them on for as long as the server runs: the cost of an admin server is one event per call.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallFailedEvent, CallSucceededEvent, StateChangeEvent } from '../events.ts';
import type { ServiceMetrics } from '../types.ts';
import { registerFleetMetrics } from './fleet-metrics.ts';
import { type AdminSupervisor, CIRCUIT_STATES } from './types.ts';

/** Buckets of `breakwater_call_duration_seconds`: 1 ms to 30 s. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Outcomes of `breakwater_calls_total`; each call counts under exactly one. */
export const CALL_OUTCOMES = ['success', 'failure', 'timeout', 'rejected', 'aborted'] as const;
type Outcome = (typeof CALL_OUTCOMES)[number];

/**
 * Turns cumulative figures that may restart from zero (a service unregistered and registered again
 * under the same name, a restore) into counters that never decrease: a drop is taken as a reset,
 * and what had been counted before it is carried as an offset.
 */
class MonotonicCounters {
  readonly #last = new Map<string, number>();
  readonly #offset = new Map<string, number>();

  value(key: string, raw: number): number {
    const last = this.#last.get(key);
    let offset = this.#offset.get(key) ?? 0;
    if (last !== undefined && raw < last) {
      offset += last;
      this.#offset.set(key, offset);
    }
    this.#last.set(key, raw);
    return offset + raw;
  }
}

function outcomeCounts(m: ServiceMetrics): Record<Outcome, number> {
  return {
    success: m.successfulRequests,
    // failedRequests includes timeouts; they get their own outcome so the outcomes add up.
    failure: Math.max(0, m.failedRequests - m.timedOutRequests),
    timeout: m.timedOutRequests,
    rejected: m.rejectedRequests,
    aborted: m.abortedRequests,
  };
}

/** The metrics of one admin server. `attach()` subscribes to the supervisor; `detach()` undoes it. */
export class AdminMetrics {
  /** The server's own registry. Users may register their own metrics in it. */
  readonly registry = new Registry();
  readonly #sup: AdminSupervisor;
  readonly #mono = new MonotonicCounters();
  #cached: Record<string, ServiceMetrics> | undefined;
  #attached = false;

  readonly #transitions: Counter<'service' | 'from' | 'to'>;
  readonly #duration: Histogram<'service' | 'outcome'>;

  constructor(sup: AdminSupervisor) {
    this.#sup = sup;
    const registers = [this.registry];
    const all = (): Record<string, ServiceMetrics> => this.#all();
    const mono = (key: string, raw: number): number => this.#mono.value(key, raw);
    registerFleetMetrics(this.registry, () => sup.fleetStatus?.());

    new Gauge({
      name: 'breakwater_circuit_state',
      help: 'Current breaker state: 1 for the state the breaker is in, 0 for the others.',
      labelNames: ['service', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [service, m] of Object.entries(all())) {
          for (const state of CIRCUIT_STATES) this.set({ service, state }, m.state === state ? 1 : 0);
        }
      },
    });
    new Counter({
      name: 'breakwater_calls_total',
      help: 'Calls that reached the breaker, by outcome (success, failure, timeout, rejected, aborted).',
      labelNames: ['service', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const [service, m] of Object.entries(all())) {
          const counts = outcomeCounts(m);
          for (const outcome of CALL_OUTCOMES) {
            this.inc({ service, outcome }, mono(`calls\0${service}\0${outcome}`, counts[outcome]));
          }
        }
      },
    });
    this.#transitions = new Counter({
      name: 'breakwater_transitions_total',
      help: 'Breaker state transitions, by from and to state.',
      labelNames: ['service', 'from', 'to'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'breakwater_call_duration_seconds',
      help: 'Duration of calls that ran (not rejected ones), by outcome (success, failure).',
      labelNames: ['service', 'outcome'],
      buckets: [...DURATION_BUCKETS],
      registers,
    });

    // Cumulative per-service figures, exposed as counters that never decrease.
    const counter = (name: string, help: string, pick: (m: ServiceMetrics) => number | undefined): void => {
      new Counter({
        name,
        help,
        labelNames: ['service'],
        registers,
        collect() {
          this.reset();
          for (const [service, m] of Object.entries(all())) {
            const raw = pick(m);
            if (raw !== undefined) this.inc({ service }, mono(`${name}\0${service}`, raw));
          }
        },
      });
    };
    counter('breakwater_rejections_total', 'Calls rejected by the breaker or the pool protections.', (m) => {
      return m.rejectedRequests;
    });
    counter('breakwater_fallbacks_total', 'Calls answered by a fallback.', (m) => m.fallbacks);
    counter('breakwater_late_results_total', 'Results that arrived after their breaker moved on.', (m) => {
      return m.lateResults;
    });
    counter('breakwater_opens_total', 'Times the breaker opened.', (m) => m.opens);
    counter('breakwater_pool_restarts_total', 'Worker threads replaced in the service pool.', (m) => {
      return m.pool?.restarts;
    });

    // Gauges read at scrape time. `undefined` leaves the service out (no pool, not open).
    const gauge = (name: string, help: string, pick: (m: ServiceMetrics) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['service'],
        registers,
        collect() {
          this.reset();
          for (const [service, m] of Object.entries(all())) {
            const value = pick(m);
            if (value !== undefined) this.set({ service }, value);
          }
        },
      });
    };
    gauge('breakwater_consecutive_failures', 'Consecutive failures recorded by the trip policy.', (m) => {
      return m.consecutiveFailures;
    });
    gauge(
      'breakwater_failure_rate',
      'Failure fraction (0..1) in the trip policy window.',
      (m) => m.failureRate,
    );
    gauge('breakwater_calls_in_flight', 'Calls admitted and not yet settled.', (m) => m.inFlight);
    gauge(
      'breakwater_next_recovery_timestamp_seconds',
      'When the open breaker moves to half-open (Unix seconds of the supervisor clock); absent unless open.',
      (m) => (m.nextRecoveryAttempt === null ? undefined : m.nextRecoveryAttempt / 1000),
    );
    gauge('breakwater_pool_threads', 'Worker threads in the service pool.', (m) => m.pool?.threads);
    gauge('breakwater_pool_queue_length', 'Calls waiting in the service pool queue.', (m) => m.pool?.queued);
    gauge('breakwater_pool_broken', '1 when the service pool is broken (cannot run calls).', (m) => {
      return m.pool === undefined ? undefined : m.pool.broken ? 1 : 0;
    });
  }

  /** Subscribes to the supervisor events that feed transitions and durations. Idempotent. */
  attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#sup.on('stateChange', this.#onStateChange);
    this.#sup.on('callSucceeded', this.#onSucceeded);
    this.#sup.on('callFailed', this.#onFailed);
  }

  /** Removes every listener `attach()` added. Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#sup.off('stateChange', this.#onStateChange);
    this.#sup.off('callSucceeded', this.#onSucceeded);
    this.#sup.off('callFailed', this.#onFailed);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ readonly contentType: string; readonly body: string }> {
    this.#cached = undefined;
    try {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    } finally {
      this.#cached = undefined;
    }
  }

  /**
   * One `allMetrics()` per scrape, shared by every collect callback. prom-client runs the collect
   * callbacks synchronously when a scrape starts, so the cache is dropped at the next microtask.
   */
  #all(): Record<string, ServiceMetrics> {
    if (this.#cached === undefined) {
      this.#cached = this.#sup.allMetrics();
      queueMicrotask(() => {
        this.#cached = undefined;
      });
    }
    return this.#cached;
  }

  readonly #onStateChange = (e: StateChangeEvent): void => {
    this.#transitions.inc({ service: e.service, from: e.from, to: e.to });
  };

  readonly #onSucceeded = (e: CallSucceededEvent): void => {
    this.#duration.observe({ service: e.service, outcome: 'success' }, e.durationMs / 1000);
  };

  readonly #onFailed = (e: CallFailedEvent): void => {
    this.#duration.observe({ service: e.service, outcome: 'failure' }, e.durationMs / 1000);
  };
}
