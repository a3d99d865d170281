/**
 * Focused loops for profiling one hot path of breakwater (no peers, no harness), e.g.
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/profile/hot.ts inline
 *   npx tsx bench/profile/top.ts bench/results/prof/<file>.cpuprofile
 * Modes: inline (callTimeoutMs: 0), inline-default (10 s timeout), reject (open, rejects),
 * fallback (open, fallback value), result (open, runResult), failure (count-window, alternating
 * success/failure through runResult), worker (1,000 in flight), worker-batched.
 */
import { performance } from 'node:perf_hooks';
import { Supervisor } from '../../src/index.ts';

const mode = process.argv[2] ?? 'inline';
const seconds = Number(process.argv[3] ?? 3);
const boom = new Error('boom');
const ok = async (): Promise<number> => 1;
const fail = async (): Promise<number> => {
  throw boom;
};

const sup = new Supervisor();
const open = { openMs: 3_600_000, trip: { kind: 'consecutive', threshold: 5 } } as const;
sup.register('inline', { breaker: { callTimeoutMs: 0 } });
sup.register('inline-default');
sup.register('reject', { breaker: open });
sup.register('fallback', { breaker: open, fallback: { value: -1 } });
sup.register('failure', {
  breaker: { callTimeoutMs: 0, trip: { kind: 'count-window', size: 100_000, failureRate: 1 } },
});
for (const name of ['reject', 'fallback']) for (let i = 0; i < 5; i++) await sup.runResult(name, fail);

let flip = 0;
const ops: Record<string, () => Promise<unknown>> = {
  inline: () => sup.run('inline', ok),
  'inline-default': () => sup.run('inline-default', ok),
  reject: () => sup.run('reject', ok).catch(() => undefined),
  fallback: () => sup.run('fallback', ok),
  result: () => sup.runResult('reject', ok),
  failure: () => sup.runResult('failure', (flip++ & 1) === 0 ? ok : fail),
};

if (mode === 'worker' || mode === 'worker-batched') {
  const worker = new URL('../workers/tiny.mjs', import.meta.url);
  sup.register('w', {
    worker,
    threads: { min: 1, max: 1 },
    breaker: { callTimeoutMs: 0 },
    batching: mode === 'worker-batched',
  });
  await sup.call('w', 'size', ['']);
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      await sup.call('w', 'size', ['']);
      calls++;
    }
  };
  await Promise.all(Array.from({ length: 1000 }, lane));
  console.log(`${mode}: ${calls} calls, ${((seconds * 1e9) / calls).toFixed(0)} ns/call`);
} else {
  const op = ops[mode];
  if (op === undefined)
    throw new Error(`unknown mode ${mode}; one of ${Object.keys(ops).join(', ')}, worker, worker-batched`);
  const end = performance.now() + seconds * 1000;
  let calls = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 10_000; i++) await op();
    calls += 10_000;
  }
  console.log(`${mode}: ${calls} calls, ${((seconds * 1e9) / calls).toFixed(0)} ns/call`);
}
await sup.close();
