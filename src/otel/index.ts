/**
 * `breakwater/otel`: the supervisor's figures as OpenTelemetry instruments on a `Meter`.
 *
 * Only this entry point imports `@opentelemetry/api` (an optional peer dependency): an application
 * that never imports `breakwater/otel` loads nothing of OpenTelemetry. Instruments follow the OTel
 * conventions: durations in seconds, UCUM units (`s`, `{call}`, `{transition}`, `{thread}`), and
 * low-cardinality attributes (the service name, and small closed sets: outcome, state, error code).
 *
 * | instrument | kind | what it reads |
 * |---|---|---|
 * | `breakwater.call.duration` | histogram | every call that ran, by outcome (success, failure, timeout) |
 * | `breakwater.circuit.state` | observable gauge | 1 for the breaker's state, 0 for the others, read only on collection |
 * | `breakwater.circuit.transitions` | counter | state transitions by from/to; every one a breaker can make exists at 0 |
 * | `breakwater.call.rejections` | counter | calls the breaker or the pool refused, by error code |
 * | `breakwater.pool.queue.size` | observable gauge | calls waiting for a worker thread (pool services) |
 * | `breakwater.pool.threads` | observable gauge | worker threads (pool services) |
 *
 * `detach()` removes every listener and the collection callback; the instruments stay on the meter
 * (OpenTelemetry has no way to delete one) and simply report nothing more.
 */
import { type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import { ErrorCode, invalidOption } from '../errors.ts';
import type { CallFailedEvent, CallRejectedEvent, CallSucceededEvent, StateChangeEvent } from '../events.ts';
import { DURATION_BUCKETS, TRANSITIONS } from '../http/metrics/series.ts';
import { CIRCUIT_STATES } from '../http/types.ts';
import { isPlainObject } from '../validate.ts';
import { ServiceAttributes } from './attributes.ts';
import type { OtelSupervisor } from './types.ts';

export type { OtelSupervisor } from './types.ts';

/** The instrumentation scope name every instrument is created under. */
export const METER_NAME = 'breakwater';

/** Options of `instrumentSupervisor()`. */
export interface OtelOptions {
  /** Meter to create the instruments on. @default a meter named `breakwater` from `meterProvider` */
  readonly meter?: Meter;
  /** Where the meter comes from when `meter` is not given. @default the global provider (`metrics.getMeterProvider()`) */
  readonly meterProvider?: MeterProvider;
}

/** What `instrumentSupervisor()` returns. */
export interface OtelInstrumentation extends Disposable {
  /** Removes every supervisor listener and the collection callback. Idempotent. */
  detach(): void;
}

const OUTCOME_SUCCESS = 0;
const OUTCOME_FAILURE = 1;
const OUTCOME_TIMEOUT = 2;

/**
 * Creates breakwater's instruments on a meter and feeds them from `sup`: per-call events for the
 * histogram and the counters, and one batch callback, run only when a reader collects, for the
 * gauges. While it is attached the supervisor times every call (as it does for an admin server).
 */
export function instrumentSupervisor(sup: OtelSupervisor, options?: OtelOptions): OtelInstrumentation {
  const meter = resolveMeter(options);
  const attrs = new ServiceAttributes();

  const duration = meter.createHistogram('breakwater.call.duration', {
    description: 'Duration of calls that ran, by outcome (success, failure, timeout).',
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  const transitions = meter.createCounter('breakwater.circuit.transitions', {
    description: 'Breaker state transitions, by from and to state.',
    unit: '{transition}',
  });
  const rejections = meter.createCounter('breakwater.call.rejections', {
    description:
      'Calls refused by the breaker (open, half-open full) or the pool protections, by error code.',
    unit: '{call}',
  });
  const state = meter.createObservableGauge('breakwater.circuit.state', {
    description: 'Breaker state: 1 for the state the breaker is in, 0 for the others.',
    unit: '1',
  });
  const queue = meter.createObservableGauge('breakwater.pool.queue.size', {
    description: 'Calls waiting for a worker thread of the service pool.',
    unit: '{call}',
  });
  const threads = meter.createObservableGauge('breakwater.pool.threads', {
    description: 'Worker threads of the service pool.',
    unit: '{thread}',
  });

  // Every transition a breaker can make, at 0, so a backend's rate() sees the first one too.
  const zeroTransitions = (service: string): void => {
    for (const [from, to] of TRANSITIONS) transitions.add(0, attrs.transition(service, from, to));
  };
  for (const service of sup.services()) zeroTransitions(service);

  const onRegistered = (e: { readonly service: string }): void => zeroTransitions(e.service);
  const onStateChange = (e: StateChangeEvent): void => {
    transitions.add(1, attrs.transition(e.service, e.from, e.to));
  };
  const onSucceeded = (e: CallSucceededEvent): void => {
    duration.record(e.durationMs / 1000, attrs.outcome(e.service, OUTCOME_SUCCESS));
  };
  const onFailed = (e: CallFailedEvent): void => {
    // Timeouts are failures to the breaker and their own outcome here, as in the Prometheus metrics.
    const code = (e.error as { code?: unknown } | null | undefined)?.code;
    duration.record(
      e.durationMs / 1000,
      attrs.outcome(e.service, code === ErrorCode.CallTimeout ? OUTCOME_TIMEOUT : OUTCOME_FAILURE),
    );
  };
  const onRejected = (e: CallRejectedEvent): void => {
    rejections.add(1, attrs.rejection(e.service, e.code));
  };

  const observe: Parameters<Meter['addBatchObservableCallback']>[0] = (result) => {
    for (const service of sup.services()) {
      let current: string;
      try {
        current = sup.state(service);
      } catch {
        continue; // unregistered while collecting
      }
      for (const s of CIRCUIT_STATES) result.observe(state, s === current ? 1 : 0, attrs.state(service, s));
      let pool: ReturnType<OtelSupervisor['counters']>['pool'];
      try {
        pool = sup.counters(service).pool;
      } catch {
        // A custom trip policy whose stats() throws: this service's pool figures are left out.
        continue;
      }
      if (pool === undefined) continue;
      result.observe(queue, pool.queued, attrs.service(service));
      result.observe(threads, pool.threads, attrs.service(service));
    }
  };

  sup.on('registered', onRegistered);
  sup.on('stateChange', onStateChange);
  sup.on('callSucceeded', onSucceeded);
  sup.on('callFailed', onFailed);
  sup.on('callRejected', onRejected);
  meter.addBatchObservableCallback(observe, [state, queue, threads]);

  let attached = true;
  const detach = (): void => {
    if (!attached) return;
    attached = false;
    sup.off('registered', onRegistered);
    sup.off('stateChange', onStateChange);
    sup.off('callSucceeded', onSucceeded);
    sup.off('callFailed', onFailed);
    sup.off('callRejected', onRejected);
    meter.removeBatchObservableCallback(observe, [state, queue, threads]);
  };
  return { detach, [Symbol.dispose]: detach };
}

function resolveMeter(options: unknown): Meter {
  if (options === undefined) return metrics.getMeter(METER_NAME);
  if (!isPlainObject(options)) throw invalidOption('type', 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'meter' && key !== 'meterProvider') {
      throw invalidOption('type', `options.${key}`, 'a known option (meter, meterProvider)', options[key]);
    }
  }
  const { meter, meterProvider } = options as { meter?: unknown; meterProvider?: unknown };
  if (meter !== undefined) {
    if (typeof (meter as Meter | null)?.createHistogram !== 'function') {
      throw invalidOption('type', 'meter', 'an OpenTelemetry Meter', meter);
    }
    return meter as Meter;
  }
  if (meterProvider !== undefined) {
    if (typeof (meterProvider as MeterProvider | null)?.getMeter !== 'function') {
      throw invalidOption('type', 'meterProvider', 'an OpenTelemetry MeterProvider', meterProvider);
    }
    return (meterProvider as MeterProvider).getMeter(METER_NAME);
  }
  return metrics.getMeter(METER_NAME);
}
