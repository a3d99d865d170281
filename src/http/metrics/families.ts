/**
 * The metric families of `/metrics` and how one service's figures become their lines. A scrape
 * walks the services once; each service appends to every family's text (`Parts`), and the
 * families are written one after the other at the end, as the text format requires.
 *
 * Every counter series a service can have is written from its first scrape, at 0 if nothing
 * happened yet (`increase()` and `rate()` would otherwise miss the first event). Histogram series
 * appear with a service's first observation of that outcome; gauges that do not apply (pool
 * figures of an inline service, the recovery time of a breaker that is not open) are left out.
 */
import type { ServiceCounters } from '../../types.ts';
import { CIRCUIT_STATES } from '../types.ts';
import { ByteWriter, familyHeader, formatValue } from './exposition.ts';
import {
  DURATION_BUCKETS,
  RAN_OUTCOMES,
  type ServiceSeries,
  Slot,
  STATE_INDEX,
  TRANSITIONS,
} from './series.ts';

type Type = 'counter' | 'gauge' | 'histogram';

/** Family name, type and help, in output order. */
export const FAMILIES = [
  [
    'breakwater_circuit_state',
    'gauge',
    'Current breaker state: 1 for the state the breaker is in, 0 for the others.',
  ],
  [
    'breakwater_calls_total',
    'counter',
    'Calls that reached the breaker, by outcome (success, failure, timeout, rejected, aborted); each call counts once.',
  ],
  [
    'breakwater_call_duration_seconds',
    'histogram',
    'Duration of calls that ran, by outcome (success, failure, timeout), since the admin server started.',
  ],
  ['breakwater_transitions_total', 'counter', 'Breaker state transitions, by from and to state.'],
  ['breakwater_rejections_total', 'counter', 'Calls rejected by the breaker or the pool protections.'],
  ['breakwater_fallbacks_total', 'counter', 'Calls answered by a fallback.'],
  ['breakwater_late_results_total', 'counter', 'Results that arrived after their breaker moved on.'],
  ['breakwater_opens_total', 'counter', 'Times the breaker opened.'],
  ['breakwater_pool_restarts_total', 'counter', 'Worker threads replaced in the service pool.'],
  ['breakwater_consecutive_failures', 'gauge', 'Consecutive failures recorded by the trip policy.'],
  [
    'breakwater_failure_ratio',
    'gauge',
    'Fraction (0..1) of the calls of about the last minute that got no answer from the service: failed, timed out or rejected.',
  ],
  [
    'breakwater_window_failure_ratio',
    'gauge',
    'Failure fraction (0..1) of the calls in the trip policy window (what the policy decides on; rejected calls never enter it).',
  ],
  [
    'breakwater_window_slow_call_ratio',
    'gauge',
    'Slow-call fraction (0..1) of the calls in the trip policy window.',
  ],
  ['breakwater_calls_in_flight', 'gauge', 'Calls admitted and not yet settled.'],
  [
    'breakwater_last_state_change_timestamp_seconds',
    'gauge',
    'When the breaker entered its current state (Unix seconds of the supervisor clock).',
  ],
  [
    'breakwater_next_recovery_timestamp_seconds',
    'gauge',
    'When the open breaker moves to half-open (Unix seconds of the supervisor clock); absent unless open.',
  ],
  ['breakwater_pool_threads', 'gauge', 'Worker threads in the service pool.'],
  ['breakwater_pool_queue_length', 'gauge', 'Calls waiting in the service pool queue.'],
  ['breakwater_pool_broken', 'gauge', '1 when the service pool is broken (cannot run calls).'],
  [
    'breakwater_metrics_unavailable',
    'gauge',
    '1 for a service whose figures could not be read at this scrape (its trip policy threw); its other series are left out.',
  ],
] as const satisfies readonly (readonly [string, Type, string])[];

const INDEX = Object.fromEntries(FAMILIES.map(([name], i) => [name, i])) as Record<
  (typeof FAMILIES)[number][0],
  number
>;

/** One writer per family, in FAMILIES order (the format wants each family's lines together). */
export type Parts = ByteWriter[];

export function newParts(): Parts {
  return FAMILIES.map(([name, type, help]) => {
    const w = new ByteWriter();
    w.write(familyHeader(name, type, help));
    return w;
  });
}

/** The whole exposition, family after family, as buffers to write in order. */
export function joinParts(parts: Parts): Buffer[] {
  return parts.flatMap((w) => w.finish());
}

const OUTCOME_SLOTS = [
  ['success', Slot.success],
  ['failure', Slot.failure],
  ['timeout', Slot.timeout],
  ['rejected', Slot.rejected],
  ['aborted', Slot.aborted],
] as const;

const STATE_LABELS = CIRCUIT_STATES.map((s) => `,state="${s}"} `);
const TRANSITION_KEYS = TRANSITIONS.map(([from, to]) => STATE_INDEX.get(from)! * 5 + STATE_INDEX.get(to)!);
const TRANSITION_LABELS = CIRCUIT_STATES.flatMap((from) =>
  CIRCUIT_STATES.map((to) => `,from="${from}",to="${to}"} `),
);
const LE_LABELS = [...DURATION_BUCKETS.map((b) => `,le="${b}"} `), ',le="+Inf"} '];

/** Appends the lines of one service whose metrics were read. */
export function writeService(parts: Parts, s: ServiceSeries, m: ServiceCounters, now: number): void {
  const l = s.label;
  const add = (family: number, line: string): void => {
    parts[family]!.write(line);
  };

  let text = '';
  for (let i = 0; i < CIRCUIT_STATES.length; i++) {
    text += `breakwater_circuit_state{${l}${STATE_LABELS[i]}${m.state === CIRCUIT_STATES[i] ? 1 : 0}\n`;
  }
  add(INDEX.breakwater_circuit_state, text);

  // failedRequests includes timeouts; they get their own outcome so the outcomes add up.
  const raw = [
    m.successfulRequests,
    Math.max(0, m.failedRequests - m.timedOutRequests),
    m.timedOutRequests,
    m.rejectedRequests,
    m.abortedRequests,
  ];
  text = '';
  for (let i = 0; i < OUTCOME_SLOTS.length; i++) {
    const [outcome, slot] = OUTCOME_SLOTS[i]!;
    text += `breakwater_calls_total{${l},outcome="${outcome}"} ${s.monotonic(slot, raw[i]!)}\n`;
  }
  add(INDEX.breakwater_calls_total, text);

  const durations = parts[INDEX.breakwater_call_duration_seconds]!;
  for (let o = 0; o < RAN_OUTCOMES.length; o++) {
    if (s.durations[o] === undefined) continue;
    let bytes = s.renderedDurations[o];
    if (bytes === undefined) {
      bytes = renderHistogram(s, o);
      s.renderedDurations[o] = bytes;
    }
    durations.writeBytes(bytes);
  }
  let transitions = s.renderedTransitions;
  if (transitions === undefined) {
    transitions = renderTransitions(s);
    s.renderedTransitions = transitions;
  }
  parts[INDEX.breakwater_transitions_total]!.writeBytes(transitions);

  const counter = (family: number, name: string, slot: number, value: number): void => {
    add(family, `${name}{${l}} ${s.monotonic(slot, value)}\n`);
  };
  counter(
    INDEX.breakwater_rejections_total,
    'breakwater_rejections_total',
    Slot.rejected,
    m.rejectedRequests,
  );
  counter(INDEX.breakwater_fallbacks_total, 'breakwater_fallbacks_total', Slot.fallbacks, m.fallbacks);
  counter(INDEX.breakwater_late_results_total, 'breakwater_late_results_total', Slot.late, m.lateResults);
  counter(INDEX.breakwater_opens_total, 'breakwater_opens_total', Slot.opens, m.opens);
  const pool = m.pool;
  if (pool !== undefined) {
    counter(
      INDEX.breakwater_pool_restarts_total,
      'breakwater_pool_restarts_total',
      Slot.poolRestarts,
      pool.restarts,
    );
  }

  const gauge = (family: number, name: string, value: number): void => {
    add(family, `${name}{${l}} ${formatValue(value)}\n`);
  };
  gauge(INDEX.breakwater_consecutive_failures, 'breakwater_consecutive_failures', m.consecutiveFailures);
  gauge(
    INDEX.breakwater_failure_ratio,
    'breakwater_failure_ratio',
    s.failureRatio(now, m.successfulRequests, m.failedRequests + m.rejectedRequests),
  );
  gauge(INDEX.breakwater_window_failure_ratio, 'breakwater_window_failure_ratio', m.failureRate);
  gauge(INDEX.breakwater_window_slow_call_ratio, 'breakwater_window_slow_call_ratio', m.slowCallRate);
  gauge(INDEX.breakwater_calls_in_flight, 'breakwater_calls_in_flight', m.inFlight);
  gauge(
    INDEX.breakwater_last_state_change_timestamp_seconds,
    'breakwater_last_state_change_timestamp_seconds',
    m.lastStateChange / 1000,
  );
  if (m.nextRecoveryAttempt !== null) {
    gauge(
      INDEX.breakwater_next_recovery_timestamp_seconds,
      'breakwater_next_recovery_timestamp_seconds',
      m.nextRecoveryAttempt / 1000,
    );
  }
  if (pool !== undefined) {
    gauge(INDEX.breakwater_pool_threads, 'breakwater_pool_threads', pool.threads);
    gauge(INDEX.breakwater_pool_queue_length, 'breakwater_pool_queue_length', pool.queued);
    gauge(INDEX.breakwater_pool_broken, 'breakwater_pool_broken', pool.broken ? 1 : 0);
  }
}

/** The lines of one duration histogram (outcome `o`) of one service. */
function renderHistogram(s: ServiceSeries, o: number): Buffer {
  const h = s.durations[o]!;
  const l = s.label;
  const base = `breakwater_call_duration_seconds_bucket{${l},outcome="${RAN_OUTCOMES[o]}"`;
  let text = '';
  let cumulative = 0;
  for (let b = 0; b < h.counts.length; b++) {
    cumulative += h.counts[b]!;
    text += `${base}${LE_LABELS[b]}${cumulative}\n`;
  }
  const labels = `{${l},outcome="${RAN_OUTCOMES[o]}"} `;
  text += `breakwater_call_duration_seconds_sum${labels}${formatValue(h.sum)}\n`;
  text += `breakwater_call_duration_seconds_count${labels}${h.count}\n`;
  return Buffer.from(text, 'utf8');
}

/** The lines of every transition counter of one service. */
function renderTransitions(s: ServiceSeries): Buffer {
  let text = '';
  const t = s.transitions;
  for (let i = 0; i < TRANSITION_KEYS.length; i++) {
    const key = TRANSITION_KEYS[i]!;
    text += `breakwater_transitions_total{${s.label}${TRANSITION_LABELS[key]}${t[key]}\n`;
  }
  return Buffer.from(text, 'utf8');
}

/**
 * Appends what can still be said of a service whose metrics could not be read: its state (read
 * without the trip policy) and the `breakwater_metrics_unavailable` marker.
 */
export function writeUnavailable(parts: Parts, s: ServiceSeries, state: string | undefined): void {
  if (state !== undefined) {
    let text = '';
    for (let i = 0; i < CIRCUIT_STATES.length; i++) {
      text += `breakwater_circuit_state{${s.label}${STATE_LABELS[i]}${state === CIRCUIT_STATES[i] ? 1 : 0}\n`;
    }
    parts[INDEX.breakwater_circuit_state]!.write(text);
  }
  parts[INDEX.breakwater_metrics_unavailable]!.write(`breakwater_metrics_unavailable{${s.label}} 1\n`);
}
