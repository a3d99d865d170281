/**
 * The end-to-end scenario's arithmetic (bench/scenarios/http-figures.ts, http-report.ts): what a
 * load round measured, a phase over its rounds, the probe bound, the headline figures and the
 * report's tables. No servers, no timings.
 */
import { describe, expect, it } from 'vitest';
import {
  httpFigures,
  type LoadRaw,
  pairedRate,
  percentile,
  phaseOf,
  probeBound,
  type Round,
  roundOf,
  workerCrashed,
} from '../../bench/scenarios/http-figures.ts';
import { codesText, httpReport } from '../../bench/scenarios/http-report.ts';
import { errorCode } from '../../bench/scenarios/http-sides.ts';

function raw(over: Partial<LoadRaw> = {}): LoadRaw {
  return {
    latencies: { real: [3, 1, 2, 4], fallback: [0.5, 0.7], error: [1000] },
    inWindow: { real: 3, fallback: 2, error: 1 },
    codes: { ERR_CALL_TIMEOUT: 1 },
    clientErrors: {},
    sent: 7,
    durationMs: 2_000,
    elapsedMs: 2_600,
    startEpochMs: 1_000_000,
    ...over,
  };
}

const loop = { p99Ms: 12, maxMs: 40 };

describe('one load round', () => {
  it('takes percentiles of an ascending list, NaN for none', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('counts rates over the window only, latencies and codes over every answer', () => {
    const r = roundOf(raw({ clientErrors: { CLIENT_TIMEOUT: 2 } }), loop);
    expect(r.requestsPerSec).toBe(3); // (3 + 2 + 1) answers in the 2 s window
    expect(r.realPerSec).toBe(1.5);
    expect(r.real).toBe(4);
    expect(r.fallbacks).toBe(2);
    expect(r.errors).toBe(3); // one error answer + two requests without an answer
    expect(r.codes).toEqual({ ERR_CALL_TIMEOUT: 1, 'client:CLIENT_TIMEOUT': 2 });
    expect(r.p50Ms).toBe(2); // of [0.5, 0.7, 1, 2, 3, 4, 1000]
    expect(r.p99Ms).toBe(1000);
    expect(r.fallbackP50Ms).toBe(0.7);
    expect(r.loopP99Ms).toBe(12);
    expect(r.startEpochMs).toBe(1_000_000);
  });

  it('has no fallback latency when there was no fallback', () => {
    const r = roundOf(raw({ latencies: { real: [1], fallback: [], error: [] } }), loop);
    expect(r.fallbackP50Ms).toBeNaN();
  });
});

function round(over: Partial<Round>): Round {
  return { ...roundOf(raw(), loop), ...over };
}

describe('a phase', () => {
  it('takes medians of rates and latencies, sums counts and codes, keeps the worst loop stall', () => {
    const p = phaseOf([
      round({ requestsPerSec: 100, realPerSec: 90, loopP99Ms: 10, loopMaxMs: 30 }),
      round({
        requestsPerSec: 300,
        realPerSec: 10,
        loopP99Ms: 50,
        loopMaxMs: 90,
        codes: { ERR_WORKER_CRASHED: 2 },
      }),
      round({ requestsPerSec: 200, realPerSec: 50, loopP99Ms: 20, loopMaxMs: 60, fallbackP50Ms: Number.NaN }),
    ]);
    expect(p.rounds).toBe(3);
    expect(p.requestsPerSec).toEqual({ median: 200, min: 100, max: 300, n: 3 });
    expect(p.realPerSec.median).toBe(50);
    expect(p.fallbacks).toBe(6);
    expect(p.codes).toEqual({ ERR_CALL_TIMEOUT: 2, ERR_WORKER_CRASHED: 2 });
    expect(p.loopP99Ms).toEqual({ median: 20, min: 10, max: 50, n: 3 });
    expect(p.loopMaxMs).toBe(90);
    expect(p.fallbackP50Ms).toBe(0.7); // the round without fallbacks is left out
    expect(workerCrashed(p.codes)).toBe(2);
    expect(workerCrashed({})).toBe(0);
    expect(() => phaseOf([])).toThrow(RangeError);
  });

  it('pairs rates round by round and keeps them finite when the peer answered nothing', () => {
    const s = pairedRate(
      [round({ realPerSec: 100 }), round({ realPerSec: 60 })],
      [round({ realPerSec: 50 }), round({ realPerSec: 0 })],
      (r) => r.realPerSec,
    );
    // Round 2: the peer counts as one answer in its 2 s window (0.5/s): 60 / 0.5.
    expect(s).toEqual({ median: 61, min: 2, max: 120, n: 2 });
    expect(() => pairedRate([round({})], [], (r) => r.realPerSec)).toThrow(RangeError);
  });

  it('bounds what a dead upstream may receive: connections, the trip threshold, then probes only', () => {
    expect(probeBound({ connections: 50, threshold: 5, halfOpens: 0, probes: 1 })).toBe(55);
    expect(probeBound({ connections: 50, threshold: 5, halfOpens: 3, probes: 2 })).toBe(61);
  });
});

const empty = { bw: [], cockatiel: [] };

describe('headline figures', () => {
  const rounds = {
    healthy: { bw: [round({ requestsPerSec: 1200 })], cockatiel: [round({ requestsPerSec: 1000 })] },
    outage: { bw: [round({ fallbackP50Ms: 0.8 })], cockatiel: [round({})] },
    heavy: {
      bw: [round({ realPerSec: 80, loopP99Ms: 9 })],
      cockatiel: [round({ realPerSec: 40, loopP99Ms: 600 })],
    },
  };
  const outage = { tripMs: 1_050, upstreamHits: 53, halfOpens: 2, bound: 57 };

  it('fills every end-to-end key from the phases that ran', () => {
    const f = httpFigures({ rounds, outage, falseCrashes: 0 });
    expect(f.http_healthy_vs_cockatiel?.value).toBe(1.2);
    expect(f.http_heavy_real_vs_cockatiel?.value).toBe(2);
    expect(f.http_heavy_loop_p99_ms?.value).toBe(9);
    expect(f.http_outage_trip_ms?.value).toBe(1_050);
    expect(f.http_outage_fallback_p50_ms?.value).toBe(0.8);
    expect(f.http_outage_upstream_excess?.value).toBe(-4);
    expect(f.http_false_worker_crashes?.value).toBe(0);
  });

  it('leaves out the phases a quick run skips', () => {
    const f = httpFigures({
      rounds: { healthy: rounds.healthy, outage: empty, heavy: empty },
      outage: undefined,
      falseCrashes: 3,
    });
    expect(Object.keys(f).sort()).toEqual(['http_false_worker_crashes', 'http_healthy_vs_cockatiel']);
    expect(f.http_false_worker_crashes?.value).toBe(3);
  });

  it('reports every phase and server, the outage and the error codes', () => {
    const { result, summaryLine } = httpReport('t', {
      plan: {
        warmupMs: 1,
        healthy: { rounds: 1, ms: 2_000 },
        outageMs: 2_000,
        heavy: { rounds: 1, ms: 2_000 },
      },
      rounds,
      outage: { bw: outage, cockatiel: { ...outage, tripMs: Number.NaN } },
      recoveryMs: { bw: 1_010, cockatiel: Number.NaN },
      pool: { heavy: { threads: 4, crashes: 0, terminations: 0, restarts: 0 } },
      falseCrashes: 0,
      bytes: { healthy: 1_600, heavy: 2_100_000 },
      connections: 50,
    });
    const [phases, outageTable, poolTable] = result.tables;
    expect(phases?.rows).toHaveLength(6);
    expect(phases?.rows[0]?.slice(0, 2)).toEqual(['healthy (~2 KB answers)', 'breakwater worker pool']);
    expect(phases?.rows[0]?.[5]).toBe('ERR_CALL_TIMEOUT 1');
    expect(outageTable?.rows[0]).toEqual([
      'breakwater worker pool',
      '1050 ms',
      '0.80 ms / 0.70 ms',
      '53 (bound 57)',
      '2',
      '1010 ms',
    ]);
    expect(outageTable?.rows[1]?.[1]).toBe('never');
    expect(outageTable?.rows[1]?.[5]).toBe('not within the limit');
    expect(poolTable?.rows).toEqual([['heavy (~2 MB answers)', '4', '0', '0', '0']]);
    expect(result.figures.http_heavy_real_vs_cockatiel?.value).toBe(2);
    expect(summaryLine).toContain('53 upstream requests (bound 57)');
    expect(JSON.parse(JSON.stringify(result.data))).toMatchObject({ falseWorkerCrashes: 0, connections: 50 });
  });

  it('writes codes most frequent first, and names errors without a code by their class', () => {
    expect(codesText({})).toBe('0');
    expect(codesText({ A: 1, ERR_CALL_TIMEOUT: 12 })).toBe('ERR_CALL_TIMEOUT 12, A 1');
    class TaskCancelledError extends Error {}
    expect(errorCode(Object.assign(new Error('x'), { code: 'ERR_CALL_TIMEOUT' }))).toBe('ERR_CALL_TIMEOUT');
    expect(errorCode(new TaskCancelledError('cancelled'))).toBe('TaskCancelledError');
    expect(errorCode(new TypeError('t'))).toBe('TypeError');
    expect(errorCode(new Error('plain'))).toBe('Error');
    expect(errorCode(null)).toBe('Error');
  });
});
