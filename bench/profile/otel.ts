/**
 * Focused loops for the telemetry scenario's cases (no harness), to see where an attached
 * listener's per-call time goes, e.g.
 *   node --cpu-prof --cpu-prof-dir=bench/results/prof --import tsx bench/profile/otel.ts otel
 *   npx tsx bench/profile/top.ts bench/results/prof/<file>.cpuprofile
 * Modes, the first five an inline success through a closed breaker (`await sup.run('geo', work)`):
 * - bare: nothing attached;
 * - admin: the admin server's metrics attached (what `createAdminServer().listen()` subscribes);
 * - events: a callSucceeded listener that does nothing: the supervisor's share of every
 *   per-call listener (both clock reads, the latency sample, the event payload, the dispatch);
 * - prom: a prom-client Histogram observed with `{ service, outcome }` labels per call (the
 *   scenario's "before");
 * - otel: breakwater/otel on a real sdk-metrics MeterProvider (an on-demand reader);
 * - sdk-floor: a callSucceeded listener that only calls the SDK's `histogram.record(seconds,
 *   attributes)` with breakwater's attribute set, made once: the least any OpenTelemetry
 *   instrumentation that records every call can cost;
 * and two without a supervisor, the recording alone, in a tight loop:
 * - record: `histogram.record(seconds, attributes)` (what recording every value costs even when
 *   the values are recorded later, in a batch);
 * - observe: prom-client's `observe({ service, outcome }, seconds)`.
 * `all` runs every mode in turn, interleaved round by round, and prints the median per mode.
 */
import { performance } from 'node:perf_hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS } from '../../src/http/metrics/series.ts';
import { AdminMetrics } from '../../src/http/metrics.ts';
import { MetricsReader } from '../../src/http/read.ts';
import { Supervisor } from '../../src/index.ts';
import { instrumentSupervisor } from '../../src/otel/index.ts';

const mode = process.argv[2] ?? 'otel';
const seconds = Number(process.argv[3] ?? 3);

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}
async function work(): Promise<number> {
  return 1;
}

const sups = {
  bare: new Supervisor(),
  admin: new Supervisor(),
  events: new Supervisor(),
  prom: new Supervisor(),
  otel: new Supervisor(),
  sdkFloor: new Supervisor(),
};
for (const s of Object.values(sups)) s.register('geo');
new AdminMetrics(sups.admin, new MetricsReader(sups.admin, undefined)).attach();
let sink = 0;
sups.events.on('callSucceeded', (e) => {
  sink += e.durationMs;
});
const promHistogram = new Histogram({
  name: 'breakwater_call_duration_seconds',
  help: 'Duration of calls that ran.',
  labelNames: ['service', 'outcome'],
  buckets: [...DURATION_BUCKETS],
  registers: [new Registry()],
});
sups.prom.on('callSucceeded', (e) =>
  promHistogram.observe({ service: e.service, outcome: 'success' }, e.durationMs / 1000),
);
instrumentSupervisor(sups.otel, { meterProvider: new MeterProvider({ readers: [new OnDemandReader()] }) });
const sdkHistogram = new MeterProvider({ readers: [new OnDemandReader()] })
  .getMeter('breakwater')
  .createHistogram('breakwater.call.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
const attributes = Object.freeze({ 'breakwater.service': 'geo', 'breakwater.outcome': 'success' });
sups.sdkFloor.on('callSucceeded', (e) => sdkHistogram.record(e.durationMs / 1000, attributes));
let tick = 0;

const ops: Record<string, () => unknown> = {
  bare: () => sups.bare.run('geo', work),
  admin: () => sups.admin.run('geo', work),
  events: () => sups.events.run('geo', work),
  prom: () => sups.prom.run('geo', work),
  otel: () => sups.otel.run('geo', work),
  'sdk-floor': () => sups.sdkFloor.run('geo', work),
};
const sync: Record<string, () => void> = {
  record: () => sdkHistogram.record((++tick & 1023) * 1e-6, attributes),
  observe: () => promHistogram.observe({ service: 'geo', outcome: 'success' }, (++tick & 1023) * 1e-6),
};

async function loop(name: string, ms: number): Promise<number> {
  const op = ops[name];
  const f = sync[name];
  const end = performance.now() + ms;
  let calls = 0;
  const start = performance.now();
  while (performance.now() < end) {
    if (op !== undefined) for (let i = 0; i < 1000; i++) await op();
    else for (let i = 0; i < 1000; i++) f!();
    calls += 1000;
  }
  return ((performance.now() - start) * 1e6) / calls;
}

const names = [...Object.keys(ops), ...Object.keys(sync)];
if (mode === 'all') {
  const per = new Map<string, number[]>(names.map((n) => [n, []]));
  for (const n of names) await loop(n, 300);
  for (let r = 0; r < 9; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length]!;
      per.get(n)!.push(await loop(n, (seconds * 1000) / 9 / names.length));
    }
  }
  for (const n of names) {
    const v = per.get(n)!.sort((a, b) => a - b);
    console.log(
      `${n.padEnd(10)} ${v[4]!.toFixed(0).padStart(5)} ns/op (${v[0]!.toFixed(0)}-${v[8]!.toFixed(0)})`,
    );
  }
} else {
  if (!names.includes(mode)) throw new Error(`unknown mode ${mode} (${names.join(', ')}, all)`);
  console.log(`${mode}: ${(await loop(mode, seconds * 1000)).toFixed(0)} ns/op`);
}
if (sink < 0) console.log(sink);
