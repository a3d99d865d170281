/** Builders for the two kinds of case every scenario uses: sequential inline ops and ops in flight. */
import { type Op, runBatched, runConcurrent, sequentialLoop } from './loops.ts';
import type { BenchCase, Role } from './measure.ts';

const BATCH = 1_000;

/**
 * `await op()` in a loop (in a try/catch with `catching`): the shape of an inline call site.
 * Latency percentiles are of per-batch means (batches of 1,000).
 */
export function inlineCase(id: string, label: string, role: Role, op: Op, catching = false): BenchCase {
  return {
    id,
    label,
    role,
    latency: 'batch-mean',
    run: runBatched(sequentialLoop(op, catching), BATCH),
    minOps: BATCH,
  };
}

/**
 * `concurrency` ops kept in flight (a closed loop). At 1 in flight every call is timed; above,
 * one call in 16 is, so the clock reads stay out of the throughput figure.
 */
export function concurrentCase(
  id: string,
  label: string,
  role: Role,
  op: Op,
  concurrency: number,
): BenchCase {
  const sampleEvery = concurrency === 1 ? 1 : 16;
  return {
    id,
    label,
    role,
    latency: concurrency === 1 ? 'per-call' : 'sampled-per-call',
    run: runConcurrent(op, concurrency, sampleEvery),
    // Ten times the calls in flight: a round of only twice as many would mostly measure filling
    // the pipeline and draining it, not the steady state.
    minOps: Math.max(concurrency * 10, 64),
  };
}
