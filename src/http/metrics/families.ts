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
import { type BufferPool, ByteWriter, familyHeader, formatValue } from './exposition.ts';
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

export function newParts(pool: BufferPool): Parts {
  return FAMILIES.map(([name, type, help]) => {
    const w = new ByteWriter(pool);
    w.write(familyHeader(name, type, help));
    return w;
  });
}

/**
 * The whole exposition, family after family, as buffers to write in order, and the pool buffers
 * behind them (to give back once the answer has been sent).
 */
export function joinParts(parts: Parts): { readonly chunks: Buffer[]; readonly taken: Buffer[] } {
  return { chunks: parts.flatMap((w) => w.finish()), taken: parts.flatMap((w) => w.taken()) };
}

const STATE_LABELS = CIRCUIT_STATES.map((s) => `,state="${s}"} `);
const TRANSITION_KEYS = TRANSITIONS.map(([from, to]) => STATE_INDEX.get(from)! * 5 + STATE_INDEX.get(to)!);
const TRANSITION_LABELS = CIRCUIT_STATES.flatMap((from) =>
  CIRCUIT_STATES.map((to) => `,from="${from}",to="${to}"} `),
);
const LE_LABELS = [...DURATION_BUCKETS.map((b) => `,le="${b}"} `), ',le="+Inf"} '];

/** Appends the lines of one service whose metrics were read. */
export function writeService(parts: Parts, s: ServiceSeries, m: ServiceCounters, now: number): void {
  // Straight-line on purpose: a scrape runs this for every service (no closures per call).
  const l = s.label;
  let text = '';
  for (let i = 0; i < CIRCUIT_STATES.length; i++) {
    text += `breakwater_circuit_state{${l}${STATE_LABELS[i]}${m.state === CIRCUIT_STATES[i] ? 1 : 0}\n`;
  }
  parts[INDEX.breakwater_circuit_state]!.write(text);

  // failedRequests includes timeouts; they get their own outcome so the outcomes add up.
  const calls = `breakwater_calls_total{${l},outcome=`;
  parts[INDEX.breakwater_calls_total]!.write(
    `${calls}"success"} ${s.monotonic(Slot.success, m.successfulRequests)}\n` +
      `${calls}"failure"} ${s.monotonic(Slot.failure, Math.max(0, m.failedRequests - m.timedOutRequests))}\n` +
      `${calls}"timeout"} ${s.monotonic(Slot.timeout, m.timedOutRequests)}\n` +
      `${calls}"rejected"} ${s.monotonic(Slot.rejected, m.rejectedRequests)}\n` +
      `${calls}"aborted"} ${s.monotonic(Slot.aborted, m.abortedRequests)}\n`,
  );

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

  const tail = `{${l}} `;
  writeCounter(
    parts,
    INDEX.breakwater_rejections_total,
    tail,
    s.monotonic(Slot.rejected, m.rejectedRequests),
  );
  writeCounter(parts, INDEX.breakwater_fallbacks_total, tail, s.monotonic(Slot.fallbacks, m.fallbacks));
  writeCounter(parts, INDEX.breakwater_late_results_total, tail, s.monotonic(Slot.late, m.lateResults));
  writeCounter(parts, INDEX.breakwater_opens_total, tail, s.monotonic(Slot.opens, m.opens));
  const pool = m.pool;
  if (pool !== undefined) {
    writeCounter(
      parts,
      INDEX.breakwater_pool_restarts_total,
      tail,
      s.monotonic(Slot.poolRestarts, pool.restarts),
    );
  }

  writeGauge(parts, INDEX.breakwater_consecutive_failures, tail, m.consecutiveFailures);
  writeGauge(
    parts,
    INDEX.breakwater_failure_ratio,
    tail,
    s.failureRatio(now, m.successfulRequests, m.failedRequests + m.rejectedRequests),
  );
  writeGauge(parts, INDEX.breakwater_window_failure_ratio, tail, m.failureRate);
  writeGauge(parts, INDEX.breakwater_window_slow_call_ratio, tail, m.slowCallRate);
  writeGauge(parts, INDEX.breakwater_calls_in_flight, tail, m.inFlight);
  writeGauge(parts, INDEX.breakwater_last_state_change_timestamp_seconds, tail, m.lastStateChange / 1000);
  if (m.nextRecoveryAttempt !== null) {
    writeGauge(parts, INDEX.breakwater_next_recovery_timestamp_seconds, tail, m.nextRecoveryAttempt / 1000);
  }
  if (pool !== undefined) {
    writeGauge(parts, INDEX.breakwater_pool_threads, tail, pool.threads);
    writeGauge(parts, INDEX.breakwater_pool_queue_length, tail, pool.queued);
    writeGauge(parts, INDEX.breakwater_pool_broken, tail, pool.broken ? 1 : 0);
  }
}

const NAMES: readonly string[] = FAMILIES.map(([name]) => name);

/** `<family>{service="…"} <value>` of a counter (already monotonic). */
function writeCounter(parts: Parts, family: number, tail: string, value: number): void {
  parts[family]!.write(`${NAMES[family]}${tail}${value}\n`);
}

/** `<family>{service="…"} <value>` of a gauge (which may be NaN or infinite). */
function writeGauge(parts: Parts, family: number, tail: string, value: number): void {
  parts[family]!.write(`${NAMES[family]}${tail}${formatValue(value)}\n`);
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
