/**
 * What watching a supervisor costs per call: an inline success through a closed breaker with
 * nothing attached, with the admin server's metrics attached (what `createAdminServer().listen()`
 * subscribes to), with the per-call work of the Prometheus server before this release (a
 * prom-client Histogram observed with `{ service, outcome }` labels per call — the "today" the
 * OpenTelemetry goal is measured against), and with `breakwater/otel` attached to a real
 * sdk-metrics MeterProvider (an on-demand reader; nothing is collected while measuring).
 *
 * Goal: OpenTelemetry attached costs no more per call than the Prometheus server's per-call work
 * (`otel_vs_prometheus_overhead`: cost with OTel / cost with the prom-client listener, ≤ 1).
 * Nothing attached is the plain hot path (the `inline` scenario measures it against the peers).
 *
 * A floor case, the SDK's own: a callSucceeded listener whose only work is the SDK's
 * `histogram.record(seconds, attributes)` with breakwater's attribute set made once. No
 * instrumentation that records every call into an sdk-metrics histogram can cost less; it is
 * reported against breakwater/otel (how much of the OTel figure is ours) and against the
 * prom-client listener (the lowest `otel_vs_prometheus_overhead` any such instrumentation reads).
 * `bench/profile/otel.ts` loops each case alone for `--cpu-prof`.
 */
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Histogram, Registry } from 'prom-client';
import { createAdminServer } from '../../src/http/index.ts';
import { DURATION_BUCKETS } from '../../src/http/metrics/series.ts';
import { Supervisor } from '../../src/index.ts';
import { instrumentSupervisor } from '../../src/otel/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { measureGroup } from '../lib/measure.ts';
import {
  asFigure,
  caseJson,
  caseTable,
  compareCost,
  compareSpeed,
  comparisonTable,
  type Scenario,
} from '../lib/scenario.ts';

class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function work(): Promise<number> {
  return 1;
}

/** The per-call work of the admin server as it was before this release (prom-client, labels per call). */
function attachPromClientHistogram(sup: Supervisor): void {
  const registry = new Registry();
  const histogram = new Histogram({
    name: 'breakwater_call_duration_seconds',
    help: 'Duration of calls that ran.',
    labelNames: ['service', 'outcome'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  sup.on('callSucceeded', (e) =>
    histogram.observe({ service: e.service, outcome: 'success' }, e.durationMs / 1000),
  );
  sup.on('callFailed', (e) =>
    histogram.observe({ service: e.service, outcome: 'failure' }, e.durationMs / 1000),
  );
}

/**
 * The SDK's floor: each success recorded into an sdk-metrics histogram (same name, unit and
 * buckets as breakwater/otel's) with one frozen attribute set, and nothing else.
 */
function attachSdkFloor(sup: Supervisor, provider: MeterProvider): void {
  const histogram = provider.getMeter('sdk-floor').createHistogram('breakwater.call.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
  });
  const attributes = Object.freeze({ 'breakwater.service': 'geo', 'breakwater.outcome': 'success' });
  sup.on('callSucceeded', (e) => histogram.record(e.durationMs / 1000, attributes));
}

export const telemetry: Scenario = {
  name: 'telemetry',
  title: 'Per-call cost of watching: nothing, the admin server, prom-client (before), OpenTelemetry',
  async run({ cfg, progress }) {
    const bare = new Supervisor();
    const admin = new Supervisor();
    const prom = new Supervisor();
    const otel = new Supervisor();
    const floor = new Supervisor();
    const sups = [bare, admin, prom, otel, floor];
    for (const s of sups) s.register('geo');
    const server = createAdminServer(admin);
    await server.listen();
    attachPromClientHistogram(prom);
    const provider = new MeterProvider({ readers: [new OnDemandReader()] });
    const otelAttached = instrumentSupervisor(otel, { meterProvider: provider });
    const floorProvider = new MeterProvider({ readers: [new OnDemandReader()] });
    attachSdkFloor(floor, floorProvider);
    try {
      const stats = await measureGroup(
        'inline success, closed breaker',
        [
          inlineCase('bare', 'nothing attached', 'breakwater', () => bare.run('geo', work)),
          inlineCase('admin', 'admin server metrics attached', 'breakwater', () => admin.run('geo', work)),
          inlineCase('prom', 'prom-client histogram per call (before)', 'peer', () => prom.run('geo', work)),
          inlineCase('otel', 'breakwater/otel attached (sdk-metrics)', 'breakwater', () =>
            otel.run('geo', work),
          ),
          // Last: with five cases and nine rounds it runs first after a round's gc only once
          // (prom-client and OTel twice each), which can only flatter the floor.
          inlineCase('sdk-floor', "the SDK's floor: a listener with only histogram.record()", 'floor', () =>
            floor.run('geo', work),
          ),
        ],
        cfg,
        progress,
      );
      const [s0, s1, s2, s3, s4] = stats as [
        (typeof stats)[0],
        (typeof stats)[0],
        (typeof stats)[0],
        (typeof stats)[0],
        (typeof stats)[0],
      ];
      // OTel's time per call over prom-client's, paired by round.
      const otelVsProm = compareCost(
        'OTel attached: cost per call / prom-client per call (before)',
        s3.roundsNs,
        s2.roundsNs,
        'cost ratio (≤1: no more expensive)',
      );
      const floorVsProm = compareCost(
        "the SDK's floor: cost per call / prom-client per call (the lowest the goal's ratio can read)",
        s4.roundsNs,
        s2.roundsNs,
      );
      const otelVsFloor = compareCost(
        "OTel attached: cost per call / the SDK's floor (how much of it is breakwater's)",
        s3.roundsNs,
        s4.roundsNs,
      );
      const comparisons = [
        otelVsProm,
        floorVsProm,
        otelVsFloor,
        compareSpeed('nothing attached vs admin server attached', s0, s1),
        compareSpeed('admin server (now) vs prom-client (before)', s1, s2),
        compareSpeed('OTel vs admin server (now)', s3, s1),
      ];
      progress.line(
        `OTel ${otelVsProm.value.toFixed(2)}x prom-client per call; the SDK's floor ${floorVsProm.value.toFixed(2)}x (OTel ${otelVsFloor.value.toFixed(2)}x the floor)`,
      );
      return {
        name: 'telemetry',
        title: telemetry.title,
        notes: [
          'Each case has its own supervisor with one inline service and its own listeners; cases alternate round by round.',
          'With any per-call listener the supervisor times every call (two clock reads) and builds one event payload: that is part of each attached figure.',
          'The OTel meter provider has an on-demand reader: nothing is exported or collected during the measurement.',
          "The SDK's floor case records each success into an sdk-metrics histogram with one attribute set made beforehand, nothing else: the SDK hashes the attribute set on every record() (sorted keys through JSON.stringify, then a Map lookup by that string), so no instrumentation recording every call into it can cost less.",
        ],
        tables: [
          caseTable('inline success, closed breaker', stats, s0),
          comparisonTable('comparisons', comparisons),
        ],
        comparisons,
        figures: { otel_vs_prometheus_overhead: asFigure(otelVsProm) },
        charts: [],
        data: { cases: stats.map(caseJson) },
      };
    } finally {
      otelAttached.detach();
      await provider.shutdown();
      await floorProvider.shutdown();
      await server.close();
      for (const s of sups) await s.close();
    }
  },
};
