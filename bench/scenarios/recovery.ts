/**
 * Scenario 6: a trip-and-recover cycle under load. Lanes of callers keep calling (each call spins
 * the CPU for a few µs, and each lane yields to the event loop between calls, like a busy
 * server); the upstream goes down, the breaker opens, the upstream comes back at once, and we time
 * open → half-open against the configured open period and half-open → closed. Same load, same
 * settings for cockatiel and opossum; subjects alternate cycle by cycle.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { Supervisor } from '../../src/index.ts';
import { formatNs } from '../lib/format.ts';
import type { Scenario, ScenarioResult } from '../lib/scenario.ts';
import { summarize } from '../lib/stats.ts';
import { cockatielConsecutive, opossum } from '../peers/breakers.ts';

type Phase = 'open' | 'half-open' | 'closed';

interface Subject {
  readonly name: string;
  call(work: () => Promise<number>): Promise<unknown>;
  close(): Promise<void> | void;
}

type Cycle =
  | CompleteCycle
  | { readonly subject: string; readonly incomplete: string; readonly calls: number };

interface CompleteCycle {
  readonly subject: string;
  readonly tripMs: number;
  readonly openToHalfOpenMs: number;
  readonly halfOpenToClosedMs: number;
  readonly calls: number;
  readonly loopDelayP99Ms: number;
}

const LANES = 16;
/** How long the upstream stays down waiting for the breaker to open before the cycle is given up. */
const OPEN_LIMIT_MS = 10_000;
const SPIN_US = 20;
const boom = new Error('upstream down');

function spin(us: number): void {
  const end = performance.now() + us / 1000;
  while (performance.now() < end) {}
}

function breakwater(openMs: number, on: (p: Phase) => void): Subject {
  const sup = new Supervisor();
  sup.register('upstream', {
    breaker: {
      openMs,
      callTimeoutMs: 0,
      trip: { kind: 'consecutive', threshold: 5 },
      halfOpen: { maxCalls: 5, successThreshold: 3 },
    },
  });
  sup.on('stateChange', (e) => {
    if (e.to === 'open' || e.to === 'half-open' || e.to === 'closed') on(e.to);
  });
  return { name: 'breakwater', call: (work) => sup.run('upstream', work), close: () => sup.close() };
}

function cockatiel(openMs: number, on: (p: Phase) => void): Subject {
  const cb = cockatielConsecutive(openMs, 5);
  cb.onBreak(() => on('open'));
  cb.onHalfOpen(() => on('half-open'));
  cb.onReset(() => on('closed'));
  return { name: 'cockatiel', call: (work) => cb.execute(work), close: () => {} };
}

function opossumSubject(openMs: number, on: (p: Phase) => void): Subject {
  let current: () => Promise<number> = async () => 1;
  const b = opossum(() => current(), { resetTimeout: openMs, timeout: false, volumeThreshold: 5 });
  b.on('open', () => on('open'));
  b.on('halfOpen', () => on('half-open'));
  b.on('close', () => on('closed'));
  return {
    name: 'opossum',
    call: (work) => {
      current = work;
      return b.fire();
    },
    close: () => b.shutdown(),
  };
}

async function runCycle(
  make: (openMs: number, on: (p: Phase) => void) => Subject,
  openMs: number,
  warmMs: number,
): Promise<Cycle> {
  const times = new Map<Phase, number>();
  let resolvePhase: ((p: Phase) => void) | undefined;
  const on = (p: Phase): void => {
    if (!times.has(p) || p === 'closed') times.set(p, performance.now());
    resolvePhase?.(p);
  };
  const s = make(openMs, on);
  let down = false;
  let stop = false;
  let calls = 0;
  const work = async (): Promise<number> => {
    spin(SPIN_US);
    if (down) throw boom;
    return 1;
  };
  const lane = async (): Promise<void> => {
    while (!stop) {
      try {
        await s.call(work);
      } catch {}
      calls++;
      await yieldToLoop();
    }
  };
  const waitFor = (want: Phase, limitMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), limitMs);
      resolvePhase = (p) => {
        if (p === want) {
          clearTimeout(timer);
          resolve(true);
        }
      };
    });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const lanes = Array.from({ length: LANES }, lane);
  await new Promise((r) => setTimeout(r, warmMs));
  times.clear();
  delay.enable();
  const tDown = performance.now();
  const opened = waitFor('open', OPEN_LIMIT_MS);
  down = true;
  const ok1 = await opened;
  down = false; // the upstream recovers at once: what remains is the breaker's own timing
  const closed = ok1 ? await waitFor('closed', openMs * 3 + 5_000) : false;
  delay.disable();
  stop = true;
  await Promise.all(lanes);
  await s.close();
  const tOpen = times.get('open');
  const tHalf = times.get('half-open');
  const tClosed = times.get('closed');
  if (!closed || tOpen === undefined || tHalf === undefined || tClosed === undefined) {
    // breakwater must complete every cycle; a peer that does not is reported as such.
    if (s.name === 'breakwater')
      throw new Error(`breakwater: the cycle did not complete (open ${ok1}, closed ${closed})`);
    return {
      subject: s.name,
      incomplete: ok1 ? 'did not close' : `did not open within ${OPEN_LIMIT_MS / 1000} s`,
      calls,
    };
  }
  return {
    subject: s.name,
    tripMs: tOpen - tDown,
    openToHalfOpenMs: tHalf - tOpen,
    halfOpenToClosedMs: tClosed - tHalf,
    calls,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
  };
}

export const recovery: Scenario = {
  name: 'recovery',
  title: 'Trip and recover under load: open → half-open → closed vs the configured times',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const openMs = cfg.quick ? 200 : 1_000;
    const cycles = cfg.quick ? 2 : 5;
    const warmMs = cfg.quick ? 50 : 200;
    const makers = [breakwater, cockatiel, opossumSubject];
    const results: Cycle[] = [];
    const total = cycles * makers.length;
    for (let c = 0; c < cycles; c++) {
      for (const make of makers) {
        results.push(await runCycle(make, openMs, warmMs));
        progress.step('trip-and-recover cycles', results.length, total);
      }
    }
    const ms = (v: number): string => formatNs(v * 1e6);
    const rows = ['breakwater', 'cockatiel', 'opossum'].map((name) => {
      const all = results.filter((r) => r.subject === name);
      const mine = all.filter((r): r is CompleteCycle => !('incomplete' in r));
      const missed = all.length - mine.length;
      if (mine.length === 0) {
        const why = all.find((r) => 'incomplete' in r);
        const text = `no complete cycle (${why !== undefined && 'incomplete' in why ? why.incomplete : 'n/a'})`;
        return {
          name,
          cells: [name, text, '—', '—', '—', '—'],
          half: undefined,
          late: undefined,
          close: undefined,
        };
      }
      const half = summarize(mine.map((r) => r.openToHalfOpenMs));
      const late = summarize(mine.map((r) => r.openToHalfOpenMs - openMs));
      const close = summarize(mine.map((r) => r.halfOpenToClosedMs));
      const trip = summarize(mine.map((r) => r.tripMs));
      const lag = summarize(mine.map((r) => r.loopDelayP99Ms));
      return {
        name,
        cells: [
          missed === 0 ? name : `${name} (${missed} of ${all.length} cycles incomplete)`,
          `${ms(trip.median)} (${ms(trip.min)}–${ms(trip.max)})`,
          `${ms(half.median)} (${ms(half.min)}–${ms(half.max)})`,
          `${ms(late.median)} (${ms(late.min)}–${ms(late.max)})`,
          `${ms(close.median)} (${ms(close.min)}–${ms(close.max)})`,
          ms(lag.median),
        ],
        half,
        late,
        close,
      };
    });
    const bw = rows[0]!;
    if (bw.half !== undefined && bw.close !== undefined) {
      progress.line(
        `breakwater open→half-open ${ms(bw.half.median)} for ${openMs} ms configured; half-open→closed ${ms(bw.close.median)}`,
      );
    }
    return {
      name: 'recovery',
      title: this.title,
      notes: [
        `${LANES} lanes of callers; each call spins ${SPIN_US} µs and each lane yields to the event loop between calls. Open period ${openMs} ms; ${cycles} cycles per library, alternating.`,
        "The upstream fails until the breaker opens, then recovers at once, so the figures are the breakers' own timing.",
        'breakwater: consecutive(5), halfOpen { maxCalls: 5, successThreshold: 3 } (closes after 3 probe successes), `callTimeoutMs: 0`; its half-open move is a scheduled timer.',
        'cockatiel: ConsecutiveBreaker(5), halfOpenAfter = open period; it moves to half-open lazily, on the first call after the period, and closes on the first success.',
        'opossum: resetTimeout = open period, timeout: false, volumeThreshold 5 (opens when its error rate over the rolling 10 s window passes 50%, so the successes before the outage delay the trip; every failure recomputes stats over the whole window); a setTimeout moves it to half-open; closes on the first success.',
      ],
      tables: [
        {
          title: `Cycle timings (median, min–max of ${cycles} cycles)`,
          header: [
            'library',
            'failure onset → open',
            'open → half-open',
            'lateness vs configured',
            'half-open → closed',
            'event-loop delay p99',
          ],
          rows: rows.map((r) => r.cells),
        },
      ],
      comparisons: [],
      figures: {},
      charts: [],
      data: { openMs, cycles: results },
    };
  },
};
