/**
 * Scenario 5: many services. With 1, 100, 10k and 100k registered breakers: heap per idle breaker
 * (heapUsed + arrayBuffers after a full gc, before and after registering), live timer handles while idle and
 * once every breaker is open (each waiting for its reset), and the cost of a call to one of them
 * (paired, round by round, with a supervisor holding a single service). opossum and cockatiel are
 * measured the same way for memory and timers (opossum up to 10k: it keeps two intervals per breaker).
 */
import { type BreakerSnapshot, Supervisor } from '../../src/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { formatBytes, formatNs, formatRatio } from '../lib/format.ts';
import { heapAfterGc } from '../lib/gc.ts';
import { measureGroup } from '../lib/measure.ts';
import type { Comparison, Scenario, ScenarioResult } from '../lib/scenario.ts';
import { speedup } from '../lib/stats.ts';
import { countTimers, refTimeouts } from '../lib/timers.ts';
import { cockatielConsecutive, opossum } from '../peers/breakers.ts';

const COUNTS = [1, 100, 10_000, 100_000] as const;
const OPOSSUM_MAX = 10_000;
const boom = new Error('down');

async function work(): Promise<number> {
  return 1;
}
async function failing(): Promise<number> {
  throw boom;
}

/** Figures with every breaker open and waiting for its reset. */
interface OpenFigures {
  readonly timers: number;
  readonly refTimeouts: number;
  /** After 5 failures each (the window and latency histogram now exist); null when restored. */
  readonly bytesPerBreaker: number | null;
  /** `failures`: 5 real failures each; `restore`: a snapshot of open breakers (quick runs). */
  readonly how: 'failures' | 'restore';
}

interface Row {
  readonly count: number;
  readonly bytesPerBreaker: number;
  readonly open: OpenFigures | undefined;
  readonly idleTimers: number;
  readonly callNs: number;
  readonly callVsOne: Comparison;
}

interface PeerRow {
  readonly peer: string;
  readonly count: number;
  readonly bytesPerBreaker: number;
  readonly timers: number;
}

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `service-${i}`);

export const manyServices: Scenario = {
  name: 'many-services',
  title: 'Many services: memory, timers and call cost with 1 to 100k breakers',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const one = new Supervisor();
    one.register('only');
    const rows: Row[] = [];
    const peers: PeerRow[] = [];
    const counter = countTimers();
    try {
      for (const count of COUNTS) {
        const list = names(count);
        const sup = new Supervisor();
        const timers0 = counter.live();
        const ref0 = refTimeouts();
        const heap0 = heapAfterGc();
        for (const name of list) sup.register(name);
        const heap1 = heapAfterGc();
        const idleTimers = counter.live() - timers0;
        const target = list[count >> 1]!;
        const stats = await measureGroup(
          `call cost, ${count} services`,
          [
            inlineCase('one', 'supervisor with 1 service', 'breakwater', () => one.run('only', work)),
            inlineCase('many', `supervisor with ${count} services`, 'breakwater', () =>
              sup.run(target, work),
            ),
          ],
          { ...cfg, rounds: Math.max(3, cfg.rounds - 2) },
          progress,
        );
        const [oneStats, manyStats] = stats as [(typeof stats)[0], (typeof stats)[0]];
        let open: OpenFigures | undefined;
        if (!cfg.quick) {
          // Open every breaker with real failures (the default policy: 5 consecutive).
          for (const name of list) for (let i = 0; i < 5; i++) await sup.runResult(name, failing);
          if (list.some((n) => sup.state(n) !== 'open')) throw new Error('not every breaker opened');
          open = {
            timers: counter.live() - timers0,
            refTimeouts: refTimeouts() - ref0,
            bytesPerBreaker: (heapAfterGc() - heap0) / count,
            how: 'failures',
          };
          progress.step(`opened ${count} breakers`, 1, 1);
        }
        await sup.close();
        if (cfg.quick && count === 100_000) {
          open = await openByRestore(list, counter);
          progress.step(`restored ${count} open breakers`, 1, 1);
        }
        const s = speedup(oneStats.roundsNs, manyStats.roundsNs);
        rows.push({
          count,
          bytesPerBreaker: (heap1 - heap0) / count,
          open,
          idleTimers,
          callNs: manyStats.nsPerOp.median,
          callVsOne: {
            label: `call cost with ${count} services / with 1`,
            value: s.median,
            min: s.min,
            max: s.max,
            unit: 'cost ratio (1 = flat)',
          },
        });
        progress.line(
          `${count} services: ${formatBytes((heap1 - heap0) / count)}/breaker, timers idle ${idleTimers}, open ${open?.timers ?? '—'}`,
        );
      }
      // Quick runs measure the peers at 10k only.
      for (const count of cfg.quick ? [10_000] : COUNTS) {
        peers.push(measurePeer('cockatiel', count, counter, () => cockatielConsecutive()));
        if (count <= OPOSSUM_MAX)
          peers.push(
            measurePeer(
              'opossum',
              count,
              counter,
              () => opossum(work),
              (b) => b.shutdown(),
            ),
          );
      }
    } finally {
      counter.uninstall();
      await one.close();
    }
    const big = rows.find((r) => r.count === 100_000)!;
    const bigOpen = big.open;
    if (bigOpen === undefined) throw new Error('100k breakers were not opened');
    const table = mdRows(rows);
    return {
      name: 'many-services',
      title: this.title,
      notes: [
        "Bytes per breaker: heapUsed + arrayBuffers (typed-array memory lives outside heapUsed) after a full gc (node --expose-gc), after registering N services with default options, minus before, over N. The service-name strings are allocated before the first reading (they are the caller's). Figures at 1 and 100 breakers are within the noise of a gc.",
        'Timers: live timer handles counted by wrapping the global timer functions (unref\'d timers included; `process.getActiveResourcesInfo()` only lists ref\'d ones, shown as "ref\'d"). "open": after every breaker was opened by 5 failures and waits for its reset.',
        '"Once opened": memory per breaker after each recorded 5 failures (its latency histogram and window now exist) — what a service costs once it has been used. Quick runs skip it: they open the 100k breakers by restoring a snapshot of open breakers (the same shared-scheduler path), since opening them by failures takes ~15 s.',
        'Call cost: `run()` on one service in the middle of the N, paired round by round with a supervisor that holds one service.',
      ],
      tables: [
        { title: 'breakwater', header: table.header, rows: table.rows },
        {
          title: 'Peers (memory and timers only)',
          header: ['library', 'breakers', 'bytes per breaker', 'live timers'],
          rows: peers.map((p) => [
            p.peer,
            p.count.toLocaleString('en-US'),
            formatBytes(p.bytesPerBreaker),
            String(p.timers),
          ]),
        },
      ],
      comparisons: rows.map((r) => r.callVsOne),
      figures: {
        bytes_per_idle_breaker: {
          value: big.bytesPerBreaker,
          min: big.bytesPerBreaker,
          max: big.bytesPerBreaker,
          detail: 'heapUsed delta / 100,000 idle breakers (default options)',
        },
        timers_for_100k_breakers: {
          value: bigOpen.timers,
          min: bigOpen.timers,
          max: bigOpen.timers,
          detail: `live timer handles with 100,000 open breakers waiting for their reset (opened by ${bigOpen.how === 'restore' ? 'restoring a snapshot' : '5 failures each'})`,
        },
      },
      charts: [
        {
          file: 'memory-vs-services.svg',
          spec: {
            title: 'Heap per breaker vs number of breakers',
            xLabel: 'registered breakers',
            yLabel: 'heap bytes per breaker',
            xLog: true,
            yLog: true,
            series: [
              { name: 'breakwater', points: rows.map((r) => [r.count, r.bytesPerBreaker] as const) },
              ...['cockatiel', 'opossum'].map((peer) => ({
                name: peer,
                points: peers
                  .filter((p) => p.peer === peer)
                  .map((p) => [p.count, p.bytesPerBreaker] as const),
              })),
            ],
          },
        },
      ],
      data: { breakwater: rows, peers },
    };
  },
};

function mdRows(rows: readonly Row[]): { header: string[]; rows: string[][] } {
  return {
    header: [
      'breakers',
      'bytes per idle breaker',
      'bytes per breaker once opened',
      'timers idle',
      'timers all open',
      "ref'd Timeouts open",
      'call time/op',
      'call cost vs 1 service',
    ],
    rows: rows.map((r) => [
      r.count.toLocaleString('en-US'),
      formatBytes(r.bytesPerBreaker),
      r.open?.bytesPerBreaker == null ? '—' : formatBytes(r.open.bytesPerBreaker),
      String(r.idleTimers),
      r.open === undefined ? '—' : `${r.open.timers}${r.open.how === 'restore' ? ' (restored)' : ''}`,
      r.open === undefined ? '—' : String(r.open.refTimeouts),
      formatNs(r.callNs),
      `${formatRatio(r.callVsOne.value)} (${formatRatio(r.callVsOne.min)}–${formatRatio(r.callVsOne.max)})`,
    ]),
  };
}

/**
 * Opens every breaker by restoring a snapshot (quick runs): one breaker opened by 5 failures is
 * snapshotted and replicated under every name, each due at a different time.
 */
async function openByRestore(list: readonly string[], counter: { live(): number }): Promise<OpenFigures> {
  const probeSup = new Supervisor();
  probeSup.register('template');
  for (let i = 0; i < 5; i++) await probeSup.runResult('template', failing);
  const snap = probeSup.snapshot();
  await probeSup.close();
  const template = snap.services.template;
  if (template === undefined || template.state !== 'open' || template.nextRecoveryAttempt === null) {
    throw new Error('the template breaker did not open');
  }
  const due = template.nextRecoveryAttempt;
  const services: Record<string, BreakerSnapshot> = {};
  list.forEach((name, i) => {
    services[name] = { ...template, nextRecoveryAttempt: due + i };
  });
  const timers0 = counter.live();
  const ref0 = refTimeouts();
  const sup = new Supervisor({ restore: { ...snap, services } });
  for (const name of list) sup.register(name);
  if (list.some((n) => sup.state(n) !== 'open')) throw new Error('not every restored breaker is open');
  const figures: OpenFigures = {
    timers: counter.live() - timers0,
    refTimeouts: refTimeouts() - ref0,
    bytesPerBreaker: null,
    how: 'restore',
  };
  await sup.close();
  return figures;
}

function measurePeer<B>(
  peer: string,
  count: number,
  counter: { live(): number },
  make: () => B,
  dispose?: (b: B) => void,
): PeerRow {
  const timers0 = counter.live();
  const heap0 = heapAfterGc();
  const made: B[] = [];
  for (let i = 0; i < count; i++) made.push(make());
  const heap1 = heapAfterGc();
  const timers = counter.live() - timers0;
  // The array holding them is 8 bytes per entry; leave it out.
  const bytes = (heap1 - heap0) / count - 8;
  if (dispose !== undefined) for (const b of made) dispose(b);
  made.length = 0;
  return { peer, count, bytesPerBreaker: bytes, timers };
}
