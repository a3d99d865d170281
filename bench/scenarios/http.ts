/**
 * End to end (BENCH.md goals, issue 9): a real API server (node:http on 127.0.0.1) under closed-loop
 * load from 50 keep-alive connections, its upstream in a child process. The handler calls the
 * upstream through breakwater's worker pool (the worker does `fetch` + `JSON.parse`) or inline
 * through cockatiel with the same timeout and breaker settings; the two servers run side by side in
 * one run, rounds alternating. Phases:
 * - healthy: ~2 KB upstream answers;
 * - outage: the upstream accepts requests and never answers: time to trip, fallback latency, and
 *   how many requests the dead upstream receives (only probes once open);
 * - heavy: ~2 MB upstream answers, expensive to parse.
 * Every load round is bounded in time, request count and per-request timeout (bench/workers/load.mjs).
 */
import { once } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Scenario, ScenarioResult } from '../lib/scenario.ts';
import {
  type HttpPlan,
  type LoadRaw,
  type Outage,
  type Phase,
  type PoolDelta,
  probeBound,
  type Round,
  roundOf,
  type SideId,
  workerCrashed,
} from './http-figures.ts';
import { httpReport } from './http-report.ts';
import { breakwaterSide, cockatielSide, E2E, type Side, UpstreamProcess } from './http-sides.ts';

export const CONNECTIONS = 50;
const MAX_REQUESTS_PER_ROUND = 200_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** Full runs: every phase, rounds alternating between the servers. */
const FULL_PLAN: HttpPlan = {
  warmupMs: 1_500,
  healthy: { rounds: 3, ms: 3_000 },
  outageMs: 5_000,
  heavy: { rounds: 3, ms: 4_000 },
};

/**
 * Quick runs (CI's smoke) keep to a few seconds: the warm-up and one short healthy round per
 * server. The outage and heavy phases need seconds per round (a 1 s call timeout to trip on,
 * 2 MB answers draining), so they run only in full runs; the report says so.
 */
const QUICK_PLAN: HttpPlan = {
  warmupMs: 300,
  healthy: { rounds: 1, ms: 600 },
  outageMs: 0,
  heavy: { rounds: 0, ms: 0 },
};

async function loadRound(url: string, durationMs: number): Promise<Round> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const w = new Worker(new URL('../workers/load.mjs', import.meta.url), {
    execArgv: [], // plain JavaScript: no TypeScript loader in this thread
    workerData: {
      url,
      connections: CONNECTIONS,
      durationMs,
      maxRequests: MAX_REQUESTS_PER_ROUND,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    },
  });
  // The generator bounds itself (window + one request timeout); this is the backstop if it hangs.
  const limitMs = durationMs + REQUEST_TIMEOUT_MS + 5_000;
  const guard = new AbortController();
  const timer = setTimeout(() => guard.abort(), limitMs);
  try {
    const [raw] = (await once(w, 'message', { signal: guard.signal }).catch((error: unknown) => {
      if (guard.signal.aborted) throw new Error(`load round against ${url} did not end within ${limitMs} ms`);
      throw error;
    })) as [LoadRaw];
    delay.disable();
    return roundOf(raw, { p99Ms: delay.percentile(99) / 1e6, maxMs: delay.max / 1e6 });
  } finally {
    clearTimeout(timer);
    delay.disable();
    await w.terminate();
  }
}

/** Calls until the breaker is closed again (after the outage), at most `limitMs`; ms it took. */
async function recover(side: Side, limitMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    if (side.state() === 'closed') return performance.now() - t0;
    await side.call().catch(() => {});
    if (side.state() === 'closed') return performance.now() - t0;
    await sleep(25);
  }
  return Number.NaN;
}

/** Each server gets one round against the hanging upstream, from a closed breaker. */
async function outagePhase(
  upstream: UpstreamProcess,
  sides: readonly Side[],
  ms: number,
  rounds: Record<SideId, Round[]>,
  outage: Partial<Record<SideId, Outage>>,
  tick: () => void,
): Promise<void> {
  await upstream.mode('down');
  for (const side of sides) {
    const before = await upstream.received();
    const opens = side.opened.length;
    const halfOpens = side.halfOpens();
    const round = await loadRound(side.url, ms);
    rounds[side.id].push(round);
    const after = await upstream.received();
    const opened = side.opened[opens];
    const ho = side.halfOpens() - halfOpens;
    outage[side.id] = {
      tripMs: opened === undefined ? Number.NaN : opened - round.startEpochMs,
      upstreamHits: (after[side.id] ?? 0) - (before[side.id] ?? 0),
      halfOpens: ho,
      bound: probeBound({
        connections: CONNECTIONS,
        threshold: E2E.threshold,
        halfOpens: ho,
        probes: E2E.probes,
      }),
    };
    tick();
  }
}

export const http: Scenario = {
  name: 'http',
  title: 'End to end: an API server calling its upstream through a breakwater pool vs inline cockatiel',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const plan = cfg.quick ? QUICK_PLAN : FULL_PLAN;
    const upstream = new UpstreamProcess();
    const sides: Side[] = [];
    try {
      await upstream.start();
      sides.push(await breakwaterSide(upstream), await cockatielSide(upstream));
      const [bw, ck] = sides as [Side, Side];
      const rounds: Record<Phase, Record<SideId, Round[]>> = {
        healthy: { bw: [], cockatiel: [] },
        outage: { bw: [], cockatiel: [] },
        heavy: { bw: [], cockatiel: [] },
      };
      const pool: Partial<Record<Phase, PoolDelta>> = {};
      const total = 2 + 2 * plan.healthy.rounds + (plan.outageMs > 0 ? 2 : 0) + 2 * plan.heavy.rounds;
      let step = 0;
      const tick = (): void => progress.step('end-to-end rounds', ++step, total);
      const poolDelta = (before: PoolDelta | undefined): PoolDelta | undefined => {
        const now = bw.pool();
        if (now === undefined || before === undefined) return undefined;
        return {
          threads: now.threads,
          crashes: now.crashes - before.crashes,
          terminations: now.terminations - before.terminations,
          restarts: now.restarts - before.restarts,
        };
      };
      const alternate = async (phase: Phase, n: number, ms: number): Promise<void> => {
        const before = bw.pool();
        for (let r = 0; r < n; r++) {
          for (const side of r % 2 === 0 ? [bw, ck] : [ck, bw]) {
            rounds[phase][side.id].push(await loadRound(side.url, ms));
            tick();
          }
        }
        const d = poolDelta(before);
        if (d !== undefined) pool[phase] = d;
      };

      // Warm-up (not counted except for worker crashes): JIT, keep-alive sockets, pool threads.
      await upstream.mode('healthy');
      const warmup: Round[] = [];
      for (const side of sides) {
        const w = await loadRound(side.url, plan.warmupMs);
        if (side.id === 'bw') warmup.push(w);
        tick();
      }
      // A cold pool may have timed out and opened during the warm-up: measure from closed breakers.
      await Promise.all(sides.map((side) => recover(side, 3 * E2E.openMs + 2_000)));
      await alternate('healthy', plan.healthy.rounds, plan.healthy.ms);

      const outage: Partial<Record<SideId, Outage>> = {};
      const recoveryMs: Partial<Record<SideId, number>> = {};
      if (plan.outageMs > 0) {
        const before = bw.pool();
        await outagePhase(upstream, sides, plan.outageMs, rounds.outage, outage, tick);
        await upstream.mode('healthy');
        const limit = 3 * E2E.openMs + 2_000;
        const [rb, rc] = await Promise.all([recover(bw, limit), recover(ck, limit)]);
        recoveryMs.bw = rb;
        recoveryMs.cockatiel = rc;
        const d = poolDelta(before);
        if (d !== undefined) pool.outage = d;
      }
      if (plan.heavy.rounds > 0) {
        await upstream.mode('heavy');
        await alternate('heavy', plan.heavy.rounds, plan.heavy.ms);
        await upstream.mode('healthy');
      }
      if (cfg.quick) {
        progress.line(
          'quick run: warm-up and one healthy round per server only; the outage and heavy phases run in full runs (npm run bench -- --scenario http)',
        );
      }

      const crashes = [...warmup, ...rounds.healthy.bw, ...rounds.outage.bw, ...rounds.heavy.bw].reduce(
        (n, r) => n + workerCrashed(r.codes),
        0,
      );
      const result = httpReport(http.title, {
        plan,
        rounds,
        outage,
        recoveryMs,
        pool,
        falseCrashes: crashes,
        bytes: upstream.bytes,
        connections: CONNECTIONS,
      });
      progress.line(result.summaryLine);
      return result.result;
    } finally {
      for (const side of sides) await side.close().catch(() => {});
      await upstream.close().catch(() => upstream.kill());
    }
  },
};
