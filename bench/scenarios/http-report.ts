/** The end-to-end scenario's report: tables per phase, the outage, the pool, and the headline figures. */
import { formatMs, formatRatio } from '../lib/format.ts';
import type { Comparison, ReportTable, ScenarioResult } from '../lib/scenario.ts';
import type { Summary } from '../lib/stats.ts';
import {
  type HttpPlan,
  httpFigures,
  type Outage,
  type Phase,
  type PoolDelta,
  pairedRate,
  phaseOf,
  type Round,
  type SideId,
} from './http-figures.ts';
import { E2E } from './http-sides.ts';

export interface HttpRun {
  readonly plan: HttpPlan;
  readonly rounds: Readonly<Record<Phase, Readonly<Record<SideId, readonly Round[]>>>>;
  /** Absent in quick runs (no outage phase). */
  readonly outage: Readonly<Partial<Record<SideId, Outage>>>;
  readonly recoveryMs: Partial<Record<SideId, number>>;
  readonly pool: Partial<Record<Phase, PoolDelta>>;
  readonly falseCrashes: number;
  readonly bytes: { readonly healthy: number; readonly heavy: number };
  readonly connections: number;
}

const PHASES: readonly { phase: Phase; label: string }[] = [
  { phase: 'healthy', label: 'healthy (~2 KB answers)' },
  { phase: 'outage', label: 'outage (upstream hangs)' },
  { phase: 'heavy', label: 'heavy (~2 MB answers)' },
];
const SIDES: readonly { id: SideId; label: string }[] = [
  { id: 'bw', label: 'breakwater worker pool' },
  { id: 'cockatiel', label: 'inline cockatiel' },
];

const rate = (s: Summary): string =>
  s.min === s.max ? s.median.toFixed(0) : `${s.median.toFixed(0)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
const msSpread = (s: Summary): string =>
  s.min === s.max ? formatMs(s.median) : `${formatMs(s.median)} (${formatMs(s.min)}–${formatMs(s.max)})`;

/** `ERR_CALL_TIMEOUT 12, client:CLIENT_TIMEOUT 1`, or `0`. */
export function codesText(codes: Record<string, number>): string {
  const entries = Object.entries(codes).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '0' : entries.map(([code, n]) => `${code} ${n}`).join(', ');
}

const cmp = (label: string, s: Summary, unit: string): Comparison => ({
  label,
  value: s.median,
  min: s.min,
  max: s.max,
  unit,
});

/** The scenario's result and a one-line summary for the progress output. */
export function httpReport(title: string, run: HttpRun): { result: ScenarioResult; summaryLine: string } {
  const { rounds, outage } = run;
  const rows: string[][] = [];
  for (const { phase, label } of PHASES) {
    for (const side of SIDES) {
      const list = rounds[phase][side.id];
      if (list.length === 0) continue;
      const p = phaseOf(list);
      rows.push([
        label,
        side.label,
        rate(p.requestsPerSec),
        rate(p.realPerSec),
        String(p.fallbacks),
        codesText(p.codes),
        msSpread(p.loopP99Ms),
        formatMs(p.p50Ms),
        formatMs(p.p99Ms),
      ]);
    }
  }
  const comparisons: Comparison[] = [];
  const pair = (phase: Phase, f: (r: Round) => number, label: string): void => {
    if (rounds[phase].bw.length > 0) {
      comparisons.push(
        cmp(label, pairedRate(rounds[phase].bw, rounds[phase].cockatiel, f), 'ratio (paired by round)'),
      );
    }
  };
  pair('healthy', (r) => r.requestsPerSec, 'healthy: requests/s, breakwater pool vs inline cockatiel');
  pair('heavy', (r) => r.realPerSec, '2 MB answers: real answers/s, breakwater pool vs inline cockatiel');
  pair(
    'heavy',
    (r) => r.requestsPerSec,
    '2 MB answers: requests/s (any answer), breakwater pool vs inline cockatiel',
  );
  pair('outage', (r) => r.requestsPerSec, 'outage: requests/s, breakwater pool vs inline cockatiel');

  const outageRows = SIDES.flatMap((side) => {
    const o = outage[side.id];
    if (o === undefined) return [];
    const p = rounds.outage[side.id].length > 0 ? phaseOf(rounds.outage[side.id]) : undefined;
    const rec = run.recoveryMs[side.id];
    return [
      [
        side.label,
        Number.isNaN(o.tripMs) ? 'never' : formatMs(o.tripMs),
        p === undefined ? 'n/a' : `${formatMs(p.fallbackP50Ms)} / ${formatMs(p.fallbackP99Ms)}`,
        `${o.upstreamHits} (bound ${o.bound})`,
        String(o.halfOpens),
        rec === undefined || Number.isNaN(rec) ? 'not within the limit' : formatMs(rec),
      ],
    ];
  });
  const poolRows = PHASES.flatMap(({ phase, label }) => {
    const d = run.pool[phase];
    return d === undefined
      ? []
      : [[label, String(d.threads), String(d.crashes), String(d.terminations), String(d.restarts)]];
  });
  const allTables: ReportTable[] = [
    {
      title: 'Per phase and server (medians of rounds, min–max in brackets; counts summed over rounds)',
      header: [
        'phase',
        'server',
        'requests/s',
        'real answers/s',
        'fallback answers',
        'errors by code',
        'event-loop delay p99',
        'latency p50',
        'latency p99',
      ],
      rows,
    },
    {
      title: 'Outage: the upstream accepts requests and never answers',
      header: [
        'server',
        'opened after',
        'fallback answers p50 / p99',
        'requests to the dead upstream',
        'half-open periods',
        'closed again after (upstream back)',
      ],
      rows: outageRows,
    },
    {
      title: "breakwater's pool over each phase",
      header: ['phase', 'threads at the end', 'thread crashes', 'terminations', 'restarts'],
      rows: poolRows,
    },
    {
      title: 'Ratios (paired by round)',
      header: ['comparison', 'ratio (median)', 'spread (min–max)'],
      rows: comparisons.map((c) => [
        c.label,
        formatRatio(c.value),
        `${formatRatio(c.min)}–${formatRatio(c.max)}`,
      ]),
    },
  ];
  const tables = allTables.filter((t) => t.rows.length > 0);
  const { plan } = run;
  const quick = plan.outageMs === 0 && plan.heavy.rounds === 0;
  const kb = (n: number): string => `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  const notes = [
    quick
      ? `**Quick run: only the healthy phase** (one ${plan.healthy.ms} ms round per server after a ${plan.warmupMs} ms warm-up); the outage and heavy phases need seconds per round and run in full runs (\`npm run bench -- --scenario http\`).`
      : `Load: ${run.connections} keep-alive connections in a closed loop from their own thread; rounds of ${plan.healthy.ms} ms (healthy, ${plan.healthy.rounds} per server), ${plan.outageMs} ms (outage, 1 per server), ${plan.heavy.ms} ms (heavy, ${plan.heavy.rounds} per server), servers alternating; a ${plan.warmupMs} ms warm-up round per server first. Rates count the answers within each round's window; the requests still in flight at its end are waited for and their latencies and codes counted.`,
    `Upstream: a child process; answers of ${kb(run.bytes.healthy)} (healthy) and ${kb(run.bytes.heavy)} (heavy); during the outage it accepts requests and never answers.`,
    `breakwater: threads { min: ${E2E.threads.min}, max: ${E2E.threads.max} }, concurrentTasksPerWorker: ${E2E.concurrentTasksPerWorker}, callTimeoutMs: ${E2E.callTimeoutMs}, consecutive(${E2E.threshold}), openMs ${E2E.openMs}, halfOpen { maxCalls: ${E2E.probes}, successThreshold: ${E2E.probes} }, a fallback value; every other pool option is the default. The worker does fetch + JSON.parse (the handler takes the call's signal); the API thread gets a summary.`,
    `cockatiel: wrap(fallback(handleType(BrokenCircuitError)), circuitBreaker(ConsecutiveBreaker(${E2E.threshold}), halfOpenAfter ${E2E.openMs}), timeout(${E2E.callTimeoutMs}, Aggressive)); fetch + JSON.parse on the API server's thread.`,
    'Errors by code are what the API server answered (`x-error-code`); `client:` codes are requests that got no answer. Event-loop delay: monitorEventLoopDelay on the API server thread over each round.',
    `The handler never exits, hangs its thread or runs out of memory, so every ERR_WORKER_CRASHED here is collateral damage: ${run.falseCrashes} seen over all phases.`,
    'Numbers from a shared 2-core machine (load generator, upstream process and API server share it): absolute figures move a lot between runs; compare the paired ratios.',
  ];
  const figures = httpFigures({ rounds, outage: outage.bw, falseCrashes: run.falseCrashes });
  const ob = outage.bw;
  const fmt = (k: keyof typeof figures, f: (v: number) => string): string => {
    const v = figures[k]?.value;
    return v === undefined ? 'n/a' : f(v);
  };
  const summaryLine = `healthy ${fmt('http_healthy_vs_cockatiel', formatRatio)} cockatiel req/s; heavy ${fmt('http_heavy_real_vs_cockatiel', formatRatio)} real answers/s, loop p99 ${fmt('http_heavy_loop_p99_ms', formatMs)}; outage: open after ${fmt('http_outage_trip_ms', formatMs)}, fallback p50 ${fmt('http_outage_fallback_p50_ms', formatMs)}, ${ob === undefined ? 'n/a' : `${ob.upstreamHits} upstream requests (bound ${ob.bound})`}; ERR_WORKER_CRASHED ${run.falseCrashes}`;
  return {
    summaryLine,
    result: {
      name: 'http',
      title,
      notes,
      tables,
      comparisons,
      figures,
      charts: [],
      data: {
        plan,
        connections: run.connections,
        settings: E2E,
        upstreamBytes: run.bytes,
        rounds,
        outage,
        recoveryMs: run.recoveryMs,
        pool: run.pool,
        falseWorkerCrashes: run.falseCrashes,
      },
    },
  };
}
