/**
 * The loops that drive one case. Each loop is compiled separately (`new Function`) so every case
 * gets its own V8 feedback: a loop shared by all cases would see many `op` targets, go megamorphic,
 * and add the same few ns to every case, which pulls every ratio towards 1.
 */
import { performance } from 'node:perf_hooks';

/** Something a case does once per operation. */
export type Op = () => unknown;

/** Records latency samples, in ns. */
export type Recorder = (ns: number) => void;

/** A loop that runs `op` `n` times, one after the other. */
export type SequentialLoop = (n: number) => Promise<void>;

/**
 * `await op()` n times. With `catching`, each call sits in its own try/catch (the rejection path
 * users write); the loop never rethrows.
 */
export function sequentialLoop(op: Op, catching = false): SequentialLoop {
  const body = catching ? 'try { await op(); } catch {}' : 'await op();';
  const make = new Function(
    'op',
    `return async function loop(n) { for (let i = 0; i < n; i++) { ${body} } };`,
  );
  return make(op) as SequentialLoop;
}

/**
 * Runs `n` ops in sequence in batches of `batch`, recording the mean time per op of each batch.
 * Timing single calls of ~100 ns would mostly measure the clock (~45 ns per read), so inline
 * latency percentiles are percentiles of per-batch means.
 */
export function runBatched(loop: SequentialLoop, batch: number): (n: number, rec: Recorder) => Promise<void> {
  return async (n, rec) => {
    let left = n;
    while (left > 0) {
      const b = Math.min(batch, left);
      const t0 = performance.now();
      await loop(b);
      rec(((performance.now() - t0) * 1e6) / b);
      left -= b;
    }
  };
}

/**
 * Keeps `concurrency` ops in flight until `n` have been issued (a closed loop: each completion
 * issues the next op). One op in `sampleEvery` is timed from issue to settle.
 */
export function runConcurrent(
  op: Op,
  concurrency: number,
  sampleEvery: number,
): (n: number, rec: Recorder) => Promise<void> {
  const make = new Function(
    'op',
    'now',
    `return async function run(n, rec, concurrency, sampleEvery) {
      let issued = 0;
      const lane = async () => {
        while (issued < n) {
          const i = issued++;
          if (i % sampleEvery === 0) {
            const t0 = now();
            await op();
            rec((now() - t0) * 1e6);
          } else {
            await op();
          }
        }
      };
      const lanes = [];
      for (let l = 0; l < concurrency; l++) lanes.push(lane());
      await Promise.all(lanes);
    };`,
  );
  const run = make(op, () => performance.now()) as (
    n: number,
    rec: Recorder,
    concurrency: number,
    sampleEvery: number,
  ) => Promise<void>;
  return (n, rec) => run(n, rec, concurrency, sampleEvery);
}
