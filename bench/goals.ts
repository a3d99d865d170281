/**
 * The one table of performance goals (BENCH.md, issues 3, 4 and 9). `--check` enforces it and the
 * report prints it; the README's goals table is generated from the same rows.
 */
import { type RatioKey, type Ratios, unitOf } from './lib/ratios.ts';

export type GoalOp = '>=' | '<=' | '==';

export interface Goal {
  readonly key: RatioKey;
  /** `>=`: the figure must reach `target`; `<=`: it must not exceed it; `==`: exactly `target`. */
  readonly op: GoalOp;
  readonly target: number;
  /** An aim that is reported but never fails `--check` (e.g. the fraction of the physical floor). */
  readonly enforced: boolean;
  /** The goal in words, for the report. */
  readonly text: string;
}

export const GOALS: readonly Goal[] = [
  {
    key: 'inline_vs_cockatiel',
    op: '>=',
    target: 1.67,
    enforced: true,
    text: 'inline success ≥1.67x faster than cockatiel (both without a call timeout)',
  },
  {
    key: 'inline_vs_opossum',
    op: '>=',
    target: 5,
    enforced: true,
    text: 'inline success ≥5x faster than opossum (both with their default 10 s timeout)',
  },
  {
    key: 'inline_timed_vs_wrapper',
    op: '<=',
    target: 1.15,
    enforced: true,
    text: 'timed inline call (default 10 s timeout) ≤1.15x the cost of a minimal hand-written timed wrapper',
  },
  {
    key: 'timeout_option_vs_timed',
    op: '<=',
    target: 1.2,
    enforced: true,
    text: 'a per-call { timeoutMs } ≤1.2x the cost of the no-options timed call',
  },
  {
    key: 'signal_option_vs_budget',
    op: '<=',
    target: 1,
    enforced: true,
    text: 'a per-call { signal } within 1.5x the no-options timed call plus one addEventListener',
  },
  {
    key: 'signal_work_vs_cockatiel',
    op: '>=',
    target: 5,
    enforced: true,
    text: "work taking a signal (default timeout) ≥5x faster than cockatiel's cooperative timeout + breaker",
  },
  {
    key: 'reject_vs_cockatiel',
    op: '>=',
    target: 3,
    enforced: true,
    text: 'open-breaker rejection ≥3x faster than cockatiel',
  },
  {
    key: 'reject_vs_opossum',
    op: '>=',
    target: 3,
    enforced: true,
    text: 'open-breaker rejection ≥3x faster than opossum',
  },
  {
    key: 'fallback_vs_cockatiel',
    op: '>=',
    target: 20,
    enforced: true,
    text: 'fallback on an open breaker ≥20x faster than cockatiel fallback(breaker)',
  },
  {
    key: 'fallback_vs_opossum',
    op: '>=',
    target: 20,
    enforced: true,
    text: "fallback on an open breaker ≥20x faster than opossum's fallback",
  },
  {
    key: 'fallback_fn_vs_cockatiel',
    op: '>=',
    target: 20,
    enforced: true,
    text: "a service's function fallback on an open breaker ≥20x faster than cockatiel fallback(breaker)",
  },
  {
    key: 'fallback_fn_vs_opossum',
    op: '>=',
    target: 20,
    enforced: true,
    text: "a service's function fallback on an open breaker ≥20x faster than opossum's fallback",
  },
  {
    key: 'call_fallback_fn_vs_cockatiel',
    op: '>=',
    target: 20,
    enforced: true,
    text: 'a per-call function fallback on an open breaker ≥20x faster than cockatiel fallback(breaker)',
  },
  {
    key: 'call_fallback_fn_vs_opossum',
    op: '>=',
    target: 20,
    enforced: true,
    text: "a per-call function fallback on an open breaker ≥20x faster than opossum's fallback",
  },
  {
    key: 'worker_vs_piscina_1',
    op: '>=',
    target: 0.95,
    enforced: true,
    text: 'worker calls, default configuration, 1 in flight: ≥0.95x bare piscina throughput',
  },
  {
    key: 'worker_vs_piscina_1000',
    op: '>=',
    target: 10,
    enforced: true,
    text: 'worker calls, default configuration, 1,000 in flight: ≥10x bare piscina throughput',
  },
  {
    key: 'worker_vs_raw_postmessage',
    op: '>=',
    target: 0.4,
    enforced: false,
    text: 'default configuration, 1,000 in flight: fraction of the raw postMessage floor (aim ≥0.4; reported, not enforced)',
  },
  {
    key: 'batched_vs_piscina_1000',
    op: '>=',
    target: 5,
    enforced: true,
    text: 'opt-in batching: true, 1,000 in flight: ≥5x bare piscina throughput',
  },
  {
    key: 'batched_vs_raw_postmessage',
    op: '>=',
    target: 0.25,
    enforced: false,
    text: 'batched: fraction of the raw postMessage floor (aim ≥0.25; reported, not enforced)',
  },
  {
    key: 'failure_cost_100k_vs_100',
    op: '<=',
    target: 1.5,
    enforced: true,
    text: 'failure-recording cost with a 100k window ≤1.5x the 100 window',
  },
  {
    key: 'bytes_per_idle_breaker',
    op: '<=',
    target: 1024,
    enforced: true,
    text: '≤1 KB of heap per idle breaker',
  },
  {
    key: 'timers_for_100k_breakers',
    op: '<=',
    target: 1,
    enforced: true,
    text: 'one timer handle for 100k open breakers',
  },
  {
    key: 'http_healthy_vs_cockatiel',
    op: '>=',
    target: 1,
    enforced: true,
    text: 'end to end, healthy upstream: API server calling through the pool ≥1.0x the requests/s of inline cockatiel',
  },
  {
    key: 'http_heavy_real_vs_cockatiel',
    op: '>=',
    target: 1,
    enforced: true,
    text: 'end to end, 2 MB upstream answers: ≥1.0x the real (non-fallback) answers/s of inline cockatiel',
  },
  {
    key: 'http_heavy_loop_p99_ms',
    op: '<=',
    target: 100,
    enforced: true,
    text: "end to end, 2 MB upstream answers: the API server's event-loop delay p99 ≤100 ms",
  },
  {
    key: 'http_false_worker_crashes',
    op: '<=',
    target: 0,
    enforced: true,
    text: 'end to end, every phase: no ERR_WORKER_CRASHED without a real crash (the handler never crashes)',
  },
  {
    key: 'http_outage_trip_ms',
    op: '<=',
    target: 2000,
    enforced: true,
    text: 'end to end, upstream hangs: the breaker opens within 2 s (1 s call timeout, 5 consecutive failures)',
  },
  {
    key: 'http_outage_fallback_p50_ms',
    op: '<=',
    target: 5,
    enforced: true,
    text: 'end to end, outage: answers from the fallback in a few ms (p50 at the client ≤5 ms)',
  },
  {
    key: 'http_outage_upstream_excess',
    op: '<=',
    target: 0,
    enforced: true,
    text: 'end to end, outage: the dead upstream gets only probes (requests beyond connections + threshold + probes)',
  },
  {
    key: 'undici_vs_bare',
    op: '<=',
    target: 1.05,
    enforced: true,
    text: 'a loopback request through breakwater/undici (closed breaker) costs ≤1.05x a bare undici request',
  },
  {
    key: 'undici_open_vs_request',
    op: '>=',
    target: 20,
    enforced: true,
    text: 'an open circuit in breakwater/undici answers ≥20x faster than the request through the closed breaker',
  },
  {
    key: 'metrics_scrape_10k_ms',
    op: '<=',
    target: 500,
    enforced: true,
    text: 'GET /metrics with 10,000 services: ≤0.5 s per scrape',
  },
  {
    key: 'metrics_scrape_10k_max_block_ms',
    op: '<=',
    target: 50,
    enforced: true,
    text: 'GET /metrics with 10,000 services never blocks the event loop >50 ms at a stretch',
  },
  {
    key: 'otel_vs_prometheus_overhead',
    op: '<=',
    target: 1,
    enforced: true,
    text: "per-call cost of breakwater/otel attached ≤ the Prometheus admin server's (inline success)",
  },
  {
    key: 'fleet_open_propagation_p99_ms',
    op: '<=',
    target: 50,
    enforced: true,
    text: "fleet mode, processes on loopback Redis: one process's trip to another's stateChange (reason fleet), p99 ≤50 ms",
  },
  {
    key: 'fleet_attached_vs_local',
    op: '<=',
    target: 1.05,
    enforced: true,
    text: 'fleet mode: an inline success call with a RedisFleet attached costs ≤1.05x the same call without',
  },
  {
    key: 'fleet_redis_commands_per_call',
    op: '<=',
    target: 0,
    enforced: true,
    text: 'fleet mode: Redis commands per successful call (INFO commandstats before/after) = 0',
  },
  {
    key: 'fleet_probes_per_half_open',
    op: '==',
    target: 2,
    enforced: true,
    text: 'fleet mode, processes under load: probes per half-open period fleet-wide = halfOpen.maxCalls (2; the worst period)',
  },
];

/** `pass`: met; `miss`: not met; `n/a`: not measured in this run. */
export type Verdict = 'pass' | 'miss' | 'n/a';

export interface GoalResult {
  readonly goal: Goal;
  readonly value: number | null;
  readonly verdict: Verdict;
}

/** Judges every goal against the run's figures. */
export function checkGoals(ratios: Ratios, goals: readonly Goal[] = GOALS): GoalResult[] {
  return goals.map((goal) => {
    const value = ratios[goal.key];
    if (value === null || !Number.isFinite(value)) return { goal, value, verdict: 'n/a' };
    const met =
      goal.op === '>='
        ? value >= goal.target
        : goal.op === '<='
          ? value <= goal.target
          : value === goal.target;
    return { goal, value, verdict: met ? 'pass' : 'miss' };
  });
}

/** Enforced goals that were measured and missed: `--check` exits non-zero when this is not empty. */
export function failedGoals(results: readonly GoalResult[]): GoalResult[] {
  return results.filter((r) => r.goal.enforced && r.verdict === 'miss');
}

/** `≥1.67x`, `≤1.5x`, `≤1024 B`, `≤100 ms`, `≤1`, `=2`. */
export function formatTarget(goal: Goal): string {
  const sign = goal.op === '>=' ? '≥' : goal.op === '<=' ? '≤' : '=';
  switch (unitOf(goal.key)) {
    case 'bytes':
      return `${sign}${goal.target} B`;
    case 'ms':
      return `${sign}${goal.target} ms`;
    case 'count':
      return `${sign}${goal.target}`;
    case 'ratio':
      return `${sign}${goal.target}x`;
  }
}
