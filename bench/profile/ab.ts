/**
 * A quick side-by-side for one hot path while working on it (many short interleaved rounds, paired
 * ratios), without the whole bench:
 *   node --expose-gc --import tsx bench/profile/ab.ts <case> [rounds=21]
 * Cases: inline (vs cockatiel, no timeout), inline-default (vs opossum, 10 s timeout), timed (the
 * default timeout against the minimal hand-written timed wrapper and opossum, with per-call
 * { timeoutMs }, per-call { signal } and work taking a signal beside it), reject
 * (vs cockatiel and opossum), worker-1 / worker-1000 (vs piscina defaults and piscina with the
 * settings breakwater passes to it).
 *
 * Worker cases on this VM: a round runs either with the main and worker threads sharing a vCPU
 * (~17 µs per 1-in-flight call) or across vCPUs with a halt and wake-up per hop (~50-70 µs), and
 * the mode flips between rounds, so the printed quartiles of the per-round ratios often span
 * 0.6-1.2. Use 61+ rounds for a verdict. To compare CPU cost per call (what our code controls),
 * pin the process to one vCPU, `taskset -c 1 node ...`: the quartiles then shrink to about ±3%.
 */
import { Piscina } from 'piscina';
import { Supervisor } from '../../src/index.ts';
import { concurrentCase, inlineCase } from '../lib/cases.ts';
import { formatNs, formatRatio } from '../lib/format.ts';
import { type BenchCase, measureGroup } from '../lib/measure.ts';
import { silentProgress } from '../lib/progress.ts';
import { paired, speedup } from '../lib/stats.ts';
import { cockatielConsecutive, opossum, tripCockatiel, tripOpossum } from '../peers/breakers.ts';
import { MinimalTimed } from '../peers/minimal-timed.ts';

const which = process.argv[2] ?? 'inline';
const rounds = Number(process.argv[3] ?? 21);
const TASK = new URL('../workers/tiny.mjs', import.meta.url);
const boom = new Error('boom');
const work = async (): Promise<number> => 1;
const sup = new Supervisor();
const closers: (() => unknown)[] = [() => sup.close()];
let cases: BenchCase[];

switch (which) {
  case 'inline': {
    sup.register('s', { breaker: { callTimeoutMs: 0 } });
    const cb = cockatielConsecutive();
    cases = [
      inlineCase('breakwater', 'breakwater callTimeoutMs: 0', 'breakwater', () => sup.run('s', work)),
      inlineCase('cockatiel', 'cockatiel ConsecutiveBreaker(5)', 'peer', () => cb.execute(work)),
      inlineCase('bare', 'bare await', 'floor', work),
    ];
    break;
  }
  case 'inline-default': {
    sup.register('s');
    const ob = opossum(work);
    closers.push(() => ob.shutdown());
    cases = [
      inlineCase('breakwater', 'breakwater default 10 s timeout', 'breakwater', () => sup.run('s', work)),
      inlineCase('opossum', 'opossum defaults', 'peer', () => ob.fire()),
    ];
    break;
  }
  case 'timed': {
    sup.register('s');
    const minimal = new MinimalTimed().register('s', 10_000);
    const ob = opossum(work);
    closers.push(
      () => minimal.close(),
      () => ob.shutdown(),
    );
    const never = new AbortController().signal;
    const sigWork = async (signal: AbortSignal): Promise<number> => (signal.aborted ? 0 : 1);
    cases = [
      inlineCase('breakwater', 'breakwater default 10 s timeout', 'breakwater', () => sup.run('s', work)),
      inlineCase('minimal', 'minimal timed wrapper', 'floor', () => minimal.run('s', work)),
      inlineCase('opossum', 'opossum defaults', 'peer', () => ob.fire()),
      inlineCase('opt', 'breakwater { timeoutMs: 5_000 }', 'breakwater', () =>
        sup.run('s', work, { timeoutMs: 5_000 }),
      ),
      inlineCase('sigopt', 'breakwater { signal }', 'breakwater', () =>
        sup.run('s', work, { signal: never }),
      ),
      inlineCase('sig', 'breakwater, work takes a signal', 'breakwater', () => sup.run('s', sigWork)),
    ];
    break;
  }
  case 'reject': {
    sup.register('s', { breaker: { openMs: 3_600_000 } });
    for (let i = 0; i < 5; i++) await sup.runResult('s', () => Promise.reject(boom));
    const cb = cockatielConsecutive(3_600_000);
    await tripCockatiel(cb);
    let up = false;
    const ob = opossum(() => (up ? work() : Promise.reject(boom)), { resetTimeout: 3_600_000 });
    await tripOpossum(ob);
    up = true;
    closers.push(() => ob.shutdown());
    const ready = new Error('ready');
    cases = [
      inlineCase('breakwater', 'breakwater run() rejects', 'breakwater', () => sup.run('s', work), true),
      inlineCase('cockatiel', 'cockatiel rejects', 'peer', () => cb.execute(work), true),
      inlineCase('opossum', 'opossum rejects', 'peer', () => ob.fire(), true),
      inlineCase('floor', 'ready-made rejection', 'floor', () => Promise.reject(ready), true),
    ];
    break;
  }
  case 'worker-1':
  case 'worker-1000': {
    const k = which === 'worker-1' ? 1 : 1000;
    sup.register('w', { worker: TASK, threads: { min: 1, max: 1 }, breaker: { callTimeoutMs: 0 } });
    const plain = new Piscina({ filename: TASK.href, minThreads: 1, maxThreads: 1 });
    const tuned = new Piscina({ filename: TASK.href, minThreads: 1, maxThreads: 1, recordTiming: false });
    closers.push(
      () => plain.close(),
      () => tuned.close(),
    );
    await sup.call('w', 'size', ['']);
    await plain.run('');
    await tuned.run('');
    cases = [
      concurrentCase('breakwater', 'breakwater call()', 'breakwater', () => sup.call('w', 'size', ['']), k),
      concurrentCase('piscina', 'piscina defaults', 'peer', () => plain.run(''), k),
      concurrentCase('piscina-tuned', 'piscina recordTiming: false', 'peer', () => tuned.run(''), k),
    ];
    break;
  }
  default:
    throw new Error(`unknown case ${which}`);
}

const stats = await measureGroup(
  which,
  cases,
  { quick: false, warmupMs: 400, rounds, roundMs: 80 },
  silentProgress,
);
const subject = stats[0]!;
/** The middle half of the per-round ratios: how far one run's median can be trusted. */
const quartiles = (values: readonly number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.round(q * (sorted.length - 1))]!;
  return `${at(0.25).toFixed(2)}–${at(0.75).toFixed(2)}`;
};
for (const s of stats) {
  const r =
    s === subject
      ? ''
      : `  breakwater is ${formatRatio(speedup(subject.roundsNs, s.roundsNs).median)} faster (rounds ${quartiles(paired(s.roundsNs, subject.roundsNs))})`;
  process.stdout.write(
    `${s.label.padEnd(48)} ${formatNs(s.nsPerOp.median).padStart(9)}/op (min ${formatNs(s.nsPerOp.min)})${r}\n`,
  );
}
for (const close of closers) await close();
