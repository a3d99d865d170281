/**
 * The end-to-end scenario's arithmetic, kept pure so test/bench/ can check it: what one load round
 * measured, a phase's figures over its rounds, the bound on requests a dead upstream may receive,
 * and the headline figures for `ratios`.
 */
import type { RatioFigure, RatioKey } from '../lib/ratios.ts';
import { median, type Summary, summarize } from '../lib/stats.ts';

export type Phase = 'healthy' | 'outage' | 'heavy';
export type SideId = 'bw' | 'cockatiel';

/** Round lengths (ms) and counts of a run. */
export interface HttpPlan {
  readonly warmupMs: number;
  readonly healthy: { readonly rounds: number; readonly ms: number };
  /** Longer than the call timeout, so the breaker can trip in it. */
  readonly outageMs: number;
  readonly heavy: { readonly rounds: number; readonly ms: number };
}

/** What the pool did over a phase (breakwater): threads at the end, thread events during it. */
export interface PoolDelta {
  readonly threads: number;
  readonly crashes: number;
  readonly terminations: number;
  readonly restarts: number;
}

/** What bench/workers/load.mjs sends back after one round. */
export interface LoadRaw {
  /** Latency (ms) of every answer, by what the answer was. */
  readonly latencies: { readonly real: number[]; readonly fallback: number[]; readonly error: number[] };
  /** Error answers by the code the API server reported. */
  readonly codes: Record<string, number>;
  /** Requests that got no answer: client timeout, connection errors. */
  readonly clientErrors: Record<string, number>;
  /** Answers that arrived within `durationMs`, by kind: the rates are over that window. */
  readonly inWindow: { readonly real: number; readonly fallback: number; readonly error: number };
  readonly sent: number;
  readonly durationMs: number;
  /** The window plus the wait for the requests still in flight at its end. */
  readonly elapsedMs: number;
  /** Wall-clock ms (`performance.timeOrigin + now()`) of the first request. */
  readonly startEpochMs: number;
}

/** One round of one server in one phase. */
export interface Round {
  /** Answers of any kind per second of the window. */
  readonly requestsPerSec: number;
  readonly realPerSec: number;
  readonly real: number;
  readonly fallbacks: number;
  /** Error answers plus requests that got no answer. */
  readonly errors: number;
  /** Errors by code; requests that got no answer are `client:<code>`. */
  readonly codes: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Latency of fallback answers only (`NaN` when there were none). */
  readonly fallbackP50Ms: number;
  readonly fallbackP99Ms: number;
  /** The API server's event-loop delay over the round (perf_hooks monitorEventLoopDelay). */
  readonly loopP99Ms: number;
  readonly loopMaxMs: number;
  /** The window the rates are over. */
  readonly durationMs: number;
  readonly startEpochMs: number;
}

/** The value at percentile `p` (0..100) of an ascending list; `NaN` for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function addAll(into: Record<string, number>, from: Record<string, number>, prefix = ''): void {
  for (const [code, n] of Object.entries(from)) into[prefix + code] = (into[prefix + code] ?? 0) + n;
}

/** One round's figures from the load generator's answer and the event-loop histogram. */
export function roundOf(raw: LoadRaw, loop: { p99Ms: number; maxMs: number }): Round {
  const { real, fallback, error } = raw.latencies;
  const all = [...real, ...fallback, ...error].sort((a, b) => a - b);
  const fb = [...fallback].sort((a, b) => a - b);
  const codes: Record<string, number> = {};
  addAll(codes, raw.codes);
  addAll(codes, raw.clientErrors, 'client:');
  const unanswered = Object.values(raw.clientErrors).reduce((n, c) => n + c, 0);
  const seconds = raw.durationMs / 1000;
  const w = raw.inWindow;
  return {
    requestsPerSec: (w.real + w.fallback + w.error) / seconds,
    realPerSec: w.real / seconds,
    real: real.length,
    fallbacks: fallback.length,
    errors: error.length + unanswered,
    codes,
    p50Ms: percentile(all, 50),
    p99Ms: percentile(all, 99),
    fallbackP50Ms: percentile(fb, 50),
    fallbackP99Ms: percentile(fb, 99),
    loopP99Ms: loop.p99Ms,
    loopMaxMs: loop.maxMs,
    durationMs: raw.durationMs,
    startEpochMs: raw.startEpochMs,
  };
}

/** A phase of one server: medians (and spread) of its rounds, totals of its counts. */
export interface PhaseFigures {
  readonly rounds: number;
  readonly requestsPerSec: Summary;
  readonly realPerSec: Summary;
  readonly real: number;
  readonly fallbacks: number;
  readonly errors: number;
  readonly codes: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly fallbackP50Ms: number;
  readonly fallbackP99Ms: number;
  readonly loopP99Ms: Summary;
  readonly loopMaxMs: number;
}

const finiteMedian = (values: readonly number[]): number => {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? Number.NaN : median(finite);
};

export function phaseOf(rounds: readonly Round[]): PhaseFigures {
  if (rounds.length === 0) throw new RangeError('a phase needs at least one round');
  const codes: Record<string, number> = {};
  for (const r of rounds) addAll(codes, r.codes);
  const sum = (f: (r: Round) => number): number => rounds.reduce((n, r) => n + f(r), 0);
  return {
    rounds: rounds.length,
    requestsPerSec: summarize(rounds.map((r) => r.requestsPerSec)),
    realPerSec: summarize(rounds.map((r) => r.realPerSec)),
    real: sum((r) => r.real),
    fallbacks: sum((r) => r.fallbacks),
    errors: sum((r) => r.errors),
    codes,
    p50Ms: finiteMedian(rounds.map((r) => r.p50Ms)),
    p99Ms: finiteMedian(rounds.map((r) => r.p99Ms)),
    fallbackP50Ms: finiteMedian(rounds.map((r) => r.fallbackP50Ms)),
    fallbackP99Ms: finiteMedian(rounds.map((r) => r.fallbackP99Ms)),
    loopP99Ms: summarize(rounds.map((r) => r.loopP99Ms)),
    loopMaxMs: Math.max(...rounds.map((r) => r.loopMaxMs)),
  };
}

/**
 * `subject[r] / peer[r]` round by round, summarized. A round in which the peer answered nothing
 * counts the peer as one answer in that round, so the ratio stays finite (and is a lower bound).
 */
export function pairedRate(
  subject: readonly Round[],
  peer: readonly Round[],
  rate: (r: Round) => number,
): Summary {
  if (subject.length !== peer.length || subject.length === 0) {
    throw new RangeError(`paired rounds needed, got ${subject.length} and ${peer.length}`);
  }
  return summarize(
    subject.map((s, i) => {
      const p = peer[i]!;
      return rate(s) / Math.max(rate(p), 1000 / p.durationMs);
    }),
  );
}

/** What the outage phase saw for one server. */
export interface Outage {
  /** From the first request to the dead upstream to the breaker's open (`NaN`: never opened). */
  readonly tripMs: number;
  /** Requests the dead upstream received from this server over the phase. */
  readonly upstreamHits: number;
  readonly halfOpens: number;
  /** The most it may receive: see `probeBound`. */
  readonly bound: number;
}

/**
 * The most requests a dead (hanging) upstream may receive from one server during the outage: one
 * per connection (each connection's request hangs until its call times out), the calls admitted
 * while the failures that trip the breaker are being counted (fewer than `threshold`), then only
 * `probes` per half-open period.
 */
export function probeBound(o: {
  connections: number;
  threshold: number;
  halfOpens: number;
  probes: number;
}): number {
  return o.connections + o.threshold + o.halfOpens * o.probes;
}

/** `ERR_WORKER_CRASHED` answers: the handler here never takes its thread down, so none is real. */
export function workerCrashed(codes: Record<string, number>): number {
  return codes.ERR_WORKER_CRASHED ?? 0;
}

const fig = (value: number, detail: string, s?: Summary): RatioFigure => ({
  value,
  min: s?.min ?? value,
  max: s?.max ?? value,
  detail,
});

/** The headline figures of the scenario (the goals in bench/goals.ts). */
export function httpFigures(input: {
  rounds: Readonly<Record<Phase, Readonly<Record<SideId, readonly Round[]>>>>;
  /** breakwater's outage figures; absent when the phase did not run. */
  outage: Outage | undefined;
  falseCrashes: number;
}): Partial<Record<RatioKey, RatioFigure>> {
  const { healthy, heavy, outage } = input.rounds;
  const out: Partial<Record<RatioKey, RatioFigure>> = {};
  if (healthy.bw.length > 0) {
    const r = pairedRate(healthy.bw, healthy.cockatiel, (x) => x.requestsPerSec);
    out.http_healthy_vs_cockatiel = fig(
      r.median,
      'healthy: requests/s, breakwater pool vs inline cockatiel',
      r,
    );
  }
  if (heavy.bw.length > 0) {
    const r = pairedRate(heavy.bw, heavy.cockatiel, (x) => x.realPerSec);
    out.http_heavy_real_vs_cockatiel = fig(
      r.median,
      '2 MB answers: real (non-fallback) answers/s, breakwater pool vs inline cockatiel',
      r,
    );
    const loop = phaseOf(heavy.bw).loopP99Ms;
    out.http_heavy_loop_p99_ms = fig(
      loop.median,
      '2 MB answers: API server event-loop delay p99 (ms), breakwater',
      loop,
    );
  }
  const o = input.outage;
  if (outage.bw.length > 0 && o !== undefined) {
    out.http_outage_trip_ms = fig(o.tripMs, 'outage: first request to the dead upstream → open (ms)');
    out.http_outage_fallback_p50_ms = fig(
      phaseOf(outage.bw).fallbackP50Ms,
      'outage: fallback answers p50 at the load generator (ms)',
    );
    out.http_outage_upstream_excess = fig(
      o.upstreamHits - o.bound,
      `outage: requests to the dead upstream beyond the bound (${o.upstreamHits} received, bound ${o.bound})`,
    );
  }
  if (healthy.bw.length + heavy.bw.length + outage.bw.length > 0) {
    out.http_false_worker_crashes = fig(
      input.falseCrashes,
      'ERR_WORKER_CRASHED answers, all phases (no real crash)',
    );
  }
  return out;
}
