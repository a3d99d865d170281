/**
 * `npm run soak` (RELIABILITY.md scenario 21): 1,000,000 calls with mixed faults through one
 * supervisor, printing heap, threads, handles and settled calls as it goes; exits 1 on a lost
 * call, heap growth after warm-up beyond the bound, OS thread growth or a pool not back at strength, handle/timer/listener
 * growth, or events that don't match transitions. See bench/soak/run.ts for the checks.
 *
 *   npm run soak -- [--calls N] [--concurrency N] [--seed N] [--faults N] [--heap-limit-mb N]
 */
import { parseArgs } from 'node:util';
import { formatBytes } from './lib/format.ts';
import { ensureExposeGc } from './lib/gc.ts';
import { runSoak } from './soak/run.ts';

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0)
    throw new TypeError(`--${name} must be a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      'heap-limit-mb': { type: 'string' },
    },
    strict: true,
  });
  const reexec = ensureExposeGc();
  if (reexec !== undefined) return reexec;
  const calls = int(values.calls, 'calls', 1_000_000);
  const limitMb = values['heap-limit-mb'];
  const report = await runSoak({
    calls,
    concurrency: int(values.concurrency, 'concurrency', 64),
    seed: int(values.seed, 'seed', 1),
    faultsPerKind: int(values.faults, 'faults', 10),
    ...(limitMb === undefined ? {} : { heapLimitBytes: int(limitMb, 'heap-limit-mb', 0) * 1024 * 1024 }),
    log: (line) => process.stderr.write(`${line}\n`),
    checkpoints: 20,
  });
  const out = process.stderr;
  out.write(
    `\n${report.settled.toLocaleString('en-US')} of ${report.calls.toLocaleString('en-US')} calls settled in ${(report.durationMs / 1000).toFixed(1)} s\n`,
  );
  out.write(`outcomes: ${JSON.stringify(report.outcomes)}\n`);
  for (const [kind, tally] of Object.entries(report.byKind)) {
    if (!kind.endsWith('/ok')) out.write(`  ${kind}: ${JSON.stringify(tally)}\n`);
  }
  out.write(`transitions (${report.events} events): ${JSON.stringify(report.transitions)}\n`);
  out.write(
    `heap: ${formatBytes(report.heap.afterWarmup)} after warm-up, ${formatBytes(report.heap.end)} at the end (growth ${formatBytes(report.heap.growth)}, bound ${formatBytes(report.heap.limit)})\n`,
  );
  out.write(
    `os threads: ${report.threads.osBefore} before, ${report.threads.osAfterWarmup} after warm-up, ${report.threads.osEnd} at the end, ${report.threads.osAfterClose} after close()\n`,
  );
  for (const [name, s] of Object.entries(report.services)) {
    const m = s.metrics;
    out.write(
      `${name}: issued ${s.issued}, ok ${String(m.successfulRequests)}, failed ${String(m.failedRequests)} (timeouts ${String(m.timedOutRequests)}), rejected ${String(m.rejectedRequests)}, late ${String(m.lateResults)}, opens ${String(m.opens)}\n`,
    );
  }
  if (report.ok) {
    out.write('soak: PASS\n');
    return 0;
  }
  out.write(`soak: FAIL\n${report.failures.map((f) => `  - ${f}`).join('\n')}\n`);
  return 1;
}

process.exitCode = await main();
