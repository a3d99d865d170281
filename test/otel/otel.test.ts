/**
 * breakwater/otel with the real @opentelemetry/sdk-metrics: a MeterProvider whose reader collects
 * on demand (in memory), a real Supervisor on a ManualClock, a real worker pool for the pool gauges.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Attributes,
  type Context,
  type ContextManager,
  context,
  createContextKey,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram,
  type IAttributesProcessor,
  MeterProvider,
  type MetricData,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Supervisor } from '../../src/index.ts';
import { instrumentSupervisor, METER_NAME } from '../../src/otel/index.ts';
import type { TripPolicy } from '../../src/policy/types.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { boom, fail, OPEN_MS, TEST_SERVICE } from '../http/helpers.ts';

/** A reader that only collects when the test asks: nothing is exported, nothing runs on a timer. */
class OnDemandReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup(services: readonly string[] = ['alpha']) {
  const clock = new ManualClock(1_700_000_000_000);
  const sup = new Supervisor({ clock });
  for (const name of services) sup.register(name, TEST_SERVICE);
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(async () => {
    await sup.close();
    await provider.shutdown();
  });
  async function collect(): Promise<Map<string, MetricData>> {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === METER_NAME);
    return new Map((scope?.metrics ?? []).map((m) => [m.descriptor.name, m]));
  }
  return { clock, sup, provider, collect };
}

function point<T>(m: MetricData | undefined, attrs: Attributes): DataPoint<T> | undefined {
  const points = (m?.dataPoints ?? []) as DataPoint<T>[];
  return points.find(
    (p) =>
      Object.keys(p.attributes).length === Object.keys(attrs).length &&
      Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
  );
}

const svc = (name: string, more: Attributes = {}): Attributes => ({ 'breakwater.service': name, ...more });

/** OpenTelemetry's active context kept in an AsyncLocalStorage (what the Node SDK's manager does). */
class StoreContextManager implements ContextManager {
  readonly #store = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#store.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#store.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#store.disable();
    return this;
  }
}

describe('breakwater/otel', () => {
  it('records call durations in seconds by outcome, timeouts as their own outcome', async () => {
    const { clock, sup, provider, collect } = setup();
    instrumentSupervisor(sup, { meterProvider: provider });
    let finish!: (v: string) => void;
    const slow = sup.run('alpha', () => new Promise<string>((r) => (finish = r)));
    clock.advance(250);
    finish('ok');
    await slow;
    await fail(sup, 'alpha', 1);
    const hung = sup.run('alpha', () => new Promise(() => {}), { timeoutMs: 100 });
    clock.advance(100);
    await expect(hung).rejects.toMatchObject({ code: 'ERR_CALL_TIMEOUT' });

    const m = (await collect()).get('breakwater.call.duration');
    expect(m?.descriptor).toMatchObject({ unit: 's', type: 'HISTOGRAM' });
    const ok = point<Histogram>(m, svc('alpha', { 'breakwater.outcome': 'success' }))!.value;
    expect([ok.count, ok.sum]).toEqual([1, 0.25]);
    expect(ok.buckets.boundaries).toEqual([
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]);
    expect(ok.buckets.counts[7]).toBe(1); // the (0.1, 0.25] bucket
    expect(point<Histogram>(m, svc('alpha', { 'breakwater.outcome': 'failure' }))!.value.count).toBe(1);
    const timeout = point<Histogram>(m, svc('alpha', { 'breakwater.outcome': 'timeout' }))!.value;
    expect([timeout.count, timeout.sum]).toEqual([1, 0.1]);
  });

  it('records every call once, in the first collection after it ran, for cumulative and delta readers', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const sup = new Supervisor({ clock });
    sup.register('alpha', TEST_SERVICE);
    const cumulative = new OnDemandReader();
    const delta = new OnDemandReader({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA });
    const provider = new MeterProvider({ readers: [cumulative, delta] });
    cleanups.push(async () => {
      await sup.close();
      await provider.shutdown();
    });
    instrumentSupervisor(sup, { meterProvider: provider });
    const call = async (ms: number): Promise<void> => {
      let finish!: () => void;
      const running = sup.run('alpha', () => new Promise<void>((r) => (finish = r)));
      clock.advance(ms);
      finish();
      await running;
    };
    const read = async (reader: OnDemandReader) => {
      const { resourceMetrics, errors } = await reader.collect();
      expect(errors).toEqual([]);
      const m = resourceMetrics.scopeMetrics
        .find((s) => s.scope.name === METER_NAME)
        ?.metrics.find((x) => x.descriptor.name === 'breakwater.call.duration');
      const v = point<Histogram>(m, svc('alpha', { 'breakwater.outcome': 'success' }))?.value;
      return v === undefined ? undefined : [v.count, v.sum];
    };

    // Durations that are exact in binary, so the sums compare exactly.
    await call(125);
    await call(250);
    expect(await read(cumulative)).toEqual([2, 0.375]);
    await call(500);
    expect(await read(delta)).toEqual([3, 0.875]); // this reader's first collection: everything so far
    expect(await read(cumulative)).toEqual([3, 0.875]);
    await call(1_000);
    await call(2_000);
    expect(await read(delta)).toEqual([2, 3]);
    expect(await read(cumulative)).toEqual([5, 3.875]);
    expect([(await read(delta))?.[0] ?? 0, await read(cumulative)]).toEqual([0, [5, 3.875]]);
  });

  it("records inline calls in the caller's context, which a view's attributes processor reads", async () => {
    const tenant = createContextKey('tenant');
    const byTenant: IAttributesProcessor = {
      process: (incoming, ctx) => ({ ...incoming, tenant: String(ctx?.getValue(tenant) ?? 'none') }),
    };
    const manager = new StoreContextManager();
    expect(context.setGlobalContextManager(manager)).toBe(true);
    cleanups.push(async () => {
      context.disable();
    });
    const sup = new Supervisor({ clock: new ManualClock(1_700_000_000_000) });
    sup.register('alpha', TEST_SERVICE);
    const reader = new OnDemandReader();
    const provider = new MeterProvider({
      readers: [reader],
      views: [{ instrumentName: 'breakwater.call.duration', attributesProcessors: [byTenant] }],
    });
    cleanups.push(async () => {
      await sup.close();
      await provider.shutdown();
    });
    instrumentSupervisor(sup, { meterProvider: provider });
    const as = <T>(name: string, fn: () => Promise<T>): Promise<T> =>
      context.with(ROOT_CONTEXT.setValue(tenant, name), fn);

    // Interleaved: each call settles while the others are in flight.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = as('a', () => sup.run('alpha', () => gate));
    const b = as('b', () => sup.run('alpha', async () => 'b'));
    const c = as('c', () => sup.run('alpha', boom)).catch(() => 'failed');
    await Promise.all([b, c]);
    release();
    await a;
    await sup.run('alpha', () => 1);

    const { resourceMetrics } = await reader.collect();
    const m = resourceMetrics.scopeMetrics[0]?.metrics.find(
      (x) => x.descriptor.name === 'breakwater.call.duration',
    );
    const count = (outcome: string, who: string) =>
      point<Histogram>(m, svc('alpha', { 'breakwater.outcome': outcome, tenant: who }))?.value.count;
    expect([count('success', 'a'), count('success', 'b'), count('failure', 'c')]).toEqual([1, 1, 1]);
    expect(count('success', 'none')).toBe(1);
    expect(m?.dataPoints).toHaveLength(4);
  });

  it('reads the breaker state as a gauge, only when a reader collects', async () => {
    const { sup, provider, collect } = setup(['alpha', 'beta']);
    const reads = vi.spyOn(sup, 'state');
    instrumentSupervisor(sup, { meterProvider: provider });
    await fail(sup, 'alpha', 3);
    await sup.run('beta', () => 1);
    expect(reads).not.toHaveBeenCalled();
    const m = (await collect()).get('breakwater.circuit.state');
    expect(reads).toHaveBeenCalledTimes(2);
    expect(m?.descriptor).toMatchObject({ unit: '1', type: 'OBSERVABLE_GAUGE' });
    expect(m?.dataPointType).toBe(DataPointType.GAUGE);
    for (const state of ['closed', 'open', 'half-open', 'forced-open', 'disabled']) {
      const attrs = (name: string) => svc(name, { 'breakwater.circuit.state': state });
      expect(point<number>(m, attrs('alpha'))?.value, state).toBe(state === 'open' ? 1 : 0);
      expect(point<number>(m, attrs('beta'))?.value, state).toBe(state === 'closed' ? 1 : 0);
    }
  });

  it('counts transitions (every possible one exists at 0) and rejections by error code', async () => {
    const { clock, sup, provider, collect } = setup(['alpha']);
    instrumentSupervisor(sup, { meterProvider: provider });
    sup.register('late', TEST_SERVICE);
    const before = (await collect()).get('breakwater.circuit.transitions');
    expect(before?.descriptor).toMatchObject({ unit: '{transition}', type: 'COUNTER' });
    expect(before?.dataPointType).toBe(DataPointType.SUM);
    for (const name of ['alpha', 'late']) {
      const mine = (before?.dataPoints ?? []).filter((p) => p.attributes['breakwater.service'] === name);
      expect(mine).toHaveLength(15);
      expect(mine.every((p) => p.value === 0)).toBe(true);
    }

    await fail(sup, 'alpha', 3);
    await expect(sup.run('alpha', () => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
    clock.advance(OPEN_MS);
    await sup.run('alpha', () => 1);
    const after = await collect();
    const t = after.get('breakwater.circuit.transitions');
    const pair = (from: string, to: string) =>
      point<number>(t, svc('alpha', { 'breakwater.circuit.from': from, 'breakwater.circuit.to': to }))?.value;
    expect([pair('closed', 'open'), pair('open', 'half-open'), pair('half-open', 'closed')]).toEqual([
      1, 1, 1,
    ]);
    expect(pair('half-open', 'open')).toBe(0);
    const r = after.get('breakwater.call.rejections');
    expect(r?.descriptor).toMatchObject({ unit: '{call}' });
    expect(point<number>(r, svc('alpha', { 'error.type': 'ERR_CIRCUIT_OPEN' }))?.value).toBe(1);
  });

  it('reports pool queue and threads as gauges for pool services only', async () => {
    const { sup, provider, collect } = setup(['inline']);
    sup.register('pooled', {
      worker: new URL('../http/fixtures/pool-handlers.ts', import.meta.url),
      threads: { min: 1, max: 1 },
      breaker: { callTimeoutMs: 0 },
    });
    instrumentSupervisor(sup, { meterProvider: provider });
    expect(await sup.call('pooled', 'add', [2, 3])).toBe(5);
    const holder = new AbortController();
    const running = sup.call('pooled', 'untilAborted', [], { signal: holder.signal });
    const queued = sup.call('pooled', 'add', [1, 1]);
    const m = await collect();
    expect(m.get('breakwater.pool.threads')?.descriptor).toMatchObject({ unit: '{thread}' });
    expect(point<number>(m.get('breakwater.pool.threads'), svc('pooled'))?.value).toBe(1);
    expect(point<number>(m.get('breakwater.pool.queue.size'), svc('pooled'))?.value).toBe(1);
    expect(point<number>(m.get('breakwater.pool.threads'), svc('inline'))).toBeUndefined();
    holder.abort();
    await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(await queued).toBe(2);
    expect(point<number>((await collect()).get('breakwater.pool.queue.size'), svc('pooled'))?.value).toBe(0);
  });

  it('keeps collecting the other services when one custom policy throws from stats()', async () => {
    const { sup, provider, collect } = setup(['good']);
    const broken = (): TripPolicy => ({
      kind: 'broken',
      needsTimeOnSuccess: false,
      slowCallMs: undefined,
      onSuccess: () => null,
      onFailure: () => null,
      reset: () => undefined,
      consecutiveFailures: () => 0,
      stats: () => {
        throw new Error('stats exploded');
      },
      toJSON: () => null,
      restore: () => undefined,
    });
    sup.register('bad', {
      worker: new URL('../http/fixtures/pool-handlers.ts', import.meta.url),
      threads: { min: 1, max: 1 },
      breaker: { trip: { kind: 'custom', create: broken } },
    });
    sup.register('pooled', {
      worker: new URL('../http/fixtures/pool-handlers.ts', import.meta.url),
      threads: { min: 1, max: 1 },
    });
    instrumentSupervisor(sup, { meterProvider: provider });
    const m = await collect();
    const state = m.get('breakwater.circuit.state');
    expect(point<number>(state, svc('bad', { 'breakwater.circuit.state': 'closed' }))?.value).toBe(1);
    expect(point<number>(state, svc('good', { 'breakwater.circuit.state': 'closed' }))?.value).toBe(1);
    expect(point<number>(m.get('breakwater.pool.threads'), svc('pooled'))?.value).toBeGreaterThanOrEqual(0);
    expect(point<number>(m.get('breakwater.pool.threads'), svc('bad'))).toBeUndefined();
  });

  it('detach() removes every listener and the collection callback', async () => {
    const { sup, provider, collect } = setup(['alpha']);
    const events = ['registered', 'stateChange', 'callSucceeded', 'callFailed', 'callRejected'] as const;
    const baseline = events.map((e) => sup.listenerCount(e));
    const otel = instrumentSupervisor(sup, { meterProvider: provider });
    expect(events.map((e) => sup.listenerCount(e))).toEqual(baseline.map((n) => n + 1));
    await sup.run('alpha', () => 1);
    const count = async (): Promise<number | undefined> =>
      point<Histogram>(
        (await collect()).get('breakwater.call.duration'),
        svc('alpha', { 'breakwater.outcome': 'success' }),
      )?.value.count;
    expect(await count()).toBe(1);

    otel.detach();
    otel.detach(); // idempotent
    expect(events.map((e) => sup.listenerCount(e))).toEqual(baseline);
    const reads = vi.spyOn(sup, 'state');
    await sup.run('alpha', () => 2);
    await expect(sup.run('alpha', boom)).rejects.toThrow('boom');
    expect(await count()).toBe(1);
    expect(reads).not.toHaveBeenCalled();
  });

  it('validates its options', () => {
    const sup = new Supervisor({ clock: new ManualClock() });
    cleanups.push(() => sup.close());
    expect(() => instrumentSupervisor(sup, { meter: {} as never })).toThrow(
      /meter must be an OpenTelemetry Meter/,
    );
    expect(() => instrumentSupervisor(sup, { metre: 1 } as never)).toThrow(/options\.metre/);
  });
});

describe('loading', () => {
  it('is exported as ./otel, with @opentelemetry/api an optional peer dependency', async () => {
    const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as {
      exports: Record<string, unknown>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      dependencies: Record<string, string>;
    };
    expect(pkg.exports['./otel']).toMatchObject({
      types: './dist/src/otel/index.d.ts',
      import: './dist/src/otel/index.js',
    });
    expect(pkg.peerDependencies['@opentelemetry/api']).toMatch(/^\^1\./);
    expect(pkg.peerDependenciesMeta['@opentelemetry/api']?.optional).toBe(true);
    expect(Object.keys(pkg.dependencies)).not.toContain('@opentelemetry/api');
  });

  it('imports @opentelemetry/api only from src/otel: the other entry points never load it', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const root = new URL('../../src/', import.meta.url);
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const importers: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, root), 'utf8');
      if (/from '@opentelemetry\//.test(text) || /import\('@opentelemetry\//.test(text)) importers.push(file);
    }
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('otel/'))).toEqual([]);
    // And what src/otel imports from the rest of breakwater is plain data and types, never an entry point.
    for (const file of importers) {
      const text = await readFile(new URL(file, root), 'utf8');
      expect(text, file).not.toMatch(/from '\.\.\/(index|http\/index|http\/server)\.ts'/);
    }
  });
});
