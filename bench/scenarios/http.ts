/**
 * End to end (BENCH.md goals): an API server on 127.0.0.1 whose upstream calls go through a
 * breakwater worker pool (the worker fetches and parses; the server's thread gets a summary),
 * against the same server calling the upstream inline through cockatiel. The upstream and the load
 * generator each run in their own thread; every load run is bounded in time and request count.
 * - healthy, small (~2 KB) and big (~300 KB, expensive to parse) upstream answers: requests/s and
 *   the API server's event-loop delay, rounds alternating between the two servers;
 * - outage (breakwater): the upstream stops answering; time to trip, fallback latency while open,
 *   and how many requests the dead upstream receives (only probes).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import { Supervisor } from '../../src/index.ts';
import { formatNs, formatRatio } from '../lib/format.ts';
import type { Comparison, Scenario, ScenarioResult } from '../lib/scenario.ts';
import { median, summarize } from '../lib/stats.ts';

const CONCURRENCY = 32;

/** The same work as `summarize` in bench/workers/http-client.mjs (the breakwater side's handler). */
function summarizeDoc(doc: { items: { price: number }[] }): { items: number; total: number } {
  let total = 0;
  for (const item of doc.items) total += item.price;
  return { items: doc.items.length, total };
}
const MAX_REQUESTS = 200_000;

interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly non200: number;
  readonly loopP99Ms: number;
  readonly count: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(url: string, durationMs: number): Promise<LoadResult> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const w = new Worker(new URL('../workers/load.mjs', import.meta.url), {
    workerData: { url, concurrency: CONCURRENCY, durationMs, maxRequests: MAX_REQUESTS },
  });
  const [r] = (await once(w, 'message')) as [
    { latencies: number[]; statuses: Record<string, number>; errors: number; elapsedMs: number },
  ];
  delay.disable();
  await w.terminate();
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const non200 = Object.entries(r.statuses).reduce((n, [code, c]) => (code === '200' ? n : n + c), 0);
  return {
    rps: (sorted.length / r.elapsedMs) * 1000,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    errors: r.errors,
    non200,
    loopP99Ms: delay.percentile(99) / 1e6,
    count: sorted.length,
  };
}

class Upstream {
  readonly worker = new Worker(new URL('../workers/upstream.mjs', import.meta.url));
  port = 0;
  async start(): Promise<void> {
    const [m] = (await once(this.worker, 'message')) as [{ port: number }];
    this.port = m.port;
  }
  async ask(message: object): Promise<{ received: number }> {
    this.worker.postMessage(message);
    const [m] = (await once(this.worker, 'message')) as [{ received: number }];
    return m;
  }
  async close(): Promise<void> {
    await this.ask({ close: true });
    await this.worker.terminate();
  }
}

async function listen(
  handler: (size: string) => Promise<unknown>,
): Promise<{ server: Server; url: (size: string) => string }> {
  const server = createServer((req, res) => {
    const size = req.url?.includes('size=big') ? 'big' : 'small';
    handler(size).then(
      (body) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (error: unknown) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: (error as { code?: string }).code ?? 'error' }));
      },
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { server, url: (size) => `http://127.0.0.1:${port}/api?size=${size}` };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

export const http: Scenario = {
  name: 'http',
  title: 'End to end: an API server with a breakwater worker pool vs inline cockatiel',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const roundMs = cfg.quick ? 400 : 2_500;
    const rounds = cfg.quick ? 2 : 5;
    const upstream = new Upstream();
    await upstream.start();
    const upstreamUrl = (size: string): string => `http://127.0.0.1:${upstream.port}/data?size=${size}`;
    const sup = new Supervisor();
    const openMs = 500;
    sup.register('upstream', {
      worker: new URL('../workers/http-client.mjs', import.meta.url),
      threads: { min: 1, max: 1 },
      concurrentTasksPerWorker: CONCURRENCY,
      breaker: {
        callTimeoutMs: 1_000,
        openMs,
        trip: { kind: 'consecutive', threshold: 5 },
        halfOpen: { maxCalls: 2, successThreshold: 2 },
      },
      fallback: { value: { items: -1, total: 0, fallback: true } },
    });
    const cockatiel = circuitBreaker(handleAll, {
      halfOpenAfter: openMs,
      breaker: new ConsecutiveBreaker(5),
    });
    const bw = await listen((size) => sup.call('upstream', 'summary', [upstreamUrl(size)]));
    const inline = await listen((size) =>
      cockatiel.execute(async () => {
        const res = await fetch(upstreamUrl(size));
        return summarizeDoc((await res.json()) as { items: { price: number }[] });
      }),
    );
    try {
      await sup.call('upstream', 'summary', [upstreamUrl('small')]);
      const results: Record<string, LoadResult[]> = {};
      const total = rounds * 4 + 1;
      let step = 0;
      for (const size of ['small', 'big']) {
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 === 0 ? (['bw', 'inline'] as const) : (['inline', 'bw'] as const);
          for (const who of order) {
            const res = await load((who === 'bw' ? bw : inline).url(size), roundMs);
            const key = `${who}-${size}`;
            results[key] = [...(results[key] ?? []), res];
            progress.step('end-to-end rounds', ++step, total);
          }
        }
      }
      // Outage: the upstream hangs; breakwater trips, answers from its fallback, sends probes only.
      const opened: number[] = [];
      let halfOpens = 0;
      const off = sup.subscribe('upstream', 'stateChange', (e) => {
        if (e.to === 'open') opened.push(performance.now());
        if (e.to === 'half-open') halfOpens++;
      });
      const before = await upstream.ask({ down: true });
      const t0 = performance.now();
      const outage = await load(bw.url('small'), cfg.quick ? 2_000 : 5_000);
      const during = await upstream.ask({ down: false });
      off();
      progress.step('end-to-end rounds', ++step, total);
      const tripMs = opened.length > 0 ? opened[0]! - t0 : Number.NaN;
      const upstreamHits = during.received - before.received;
      return report(results, outage, { tripMs, upstreamHits, halfOpens, openMs, roundMs, rounds });
    } finally {
      await closeServer(bw.server);
      await closeServer(inline.server);
      await sup.close();
      await upstream.close();
    }
  },
};

function report(
  results: Record<string, LoadResult[]>,
  outage: LoadResult,
  o: {
    tripMs: number;
    upstreamHits: number;
    halfOpens: number;
    openMs: number;
    roundMs: number;
    rounds: number;
  },
): ScenarioResult {
  const ms = (v: number): string => formatNs(v * 1e6);
  const comparisons: Comparison[] = [];
  const rows: string[][] = [];
  for (const size of ['small', 'big']) {
    const b = results[`bw-${size}`] ?? [];
    const c = results[`inline-${size}`] ?? [];
    const ratio = summarize(b.map((x, i) => x.rps / (c[i]?.rps ?? Number.NaN)));
    comparisons.push({
      label: `${size} upstream answers: breakwater pool vs inline cockatiel (goal ≥0.7x when healthy)`,
      value: ratio.median,
      min: ratio.min,
      max: ratio.max,
      unit: 'requests/s ratio',
    });
    for (const [who, list] of [
      ['breakwater worker pool', b],
      ['inline cockatiel', c],
    ] as const) {
      rows.push([
        size === 'small' ? 'healthy, ~2 KB answers' : 'healthy, ~300 KB answers',
        who,
        median(list.map((x) => x.rps)).toFixed(0),
        ms(median(list.map((x) => x.p50Ms))),
        ms(median(list.map((x) => x.p99Ms))),
        ms(median(list.map((x) => x.loopP99Ms))),
        String(list.reduce((n, x) => n + x.errors + x.non200, 0)),
      ]);
    }
  }
  rows.push([
    'outage (upstream hangs)',
    'breakwater worker pool',
    outage.rps.toFixed(0),
    ms(outage.p50Ms),
    ms(outage.p99Ms),
    ms(outage.loopP99Ms),
    String(outage.errors + outage.non200),
  ]);
  const probeBound = (o.halfOpens + 1) * 2 + 5 + 32;
  return {
    name: 'http',
    title: http.title,
    notes: [
      `Load: ${CONCURRENCY} keep-alive connections in a closed loop from a separate thread, ${o.roundMs} ms per round, ${o.rounds} rounds per server and size, alternating.`,
      `breakwater: 1 pool thread with concurrentTasksPerWorker: ${CONCURRENCY} (fetch is I/O), callTimeoutMs 1,000, consecutive(5), open ${o.openMs} ms, halfOpen { maxCalls: 2, successThreshold: 2 }, fallback value. The worker fetches and parses; the API thread only serializes a summary.`,
      `cockatiel: ConsecutiveBreaker(5), halfOpenAfter ${o.openMs} ms; fetch and JSON parsing on the API server's thread.`,
      `Outage: breakwater opened ${Number.isNaN(o.tripMs) ? 'never' : `${ms(o.tripMs)} after the upstream stopped answering`}; answers while open came from the fallback (p50 ${ms(outage.p50Ms)}). The dead upstream received ${o.upstreamHits} requests over the outage: the ${CONCURRENCY} in flight when it died and the first failures (≤ 5 + ${CONCURRENCY}), then 2 probes per half-open period (${o.halfOpens} periods) — bound ${probeBound}.`,
    ],
    tables: [
      {
        title: 'Requests per second, latency and the API server’s event-loop delay (medians of rounds)',
        header: ['phase', 'server', 'requests/s', 'p50', 'p99', 'event-loop delay p99', 'errors + non-200'],
        rows,
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
    ],
    comparisons,
    figures: {},
    charts: [],
    data: { results, outage, ...o, probeBound },
  };
}
