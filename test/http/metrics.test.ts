/**
 * GET /metrics: names and types by Prometheus conventions, values read from the supervisor at scrape
 * time or fed by its events, counters that never decrease, one registry per server.
 */
import { Counter, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import {
  boom,
  fail,
  OPEN_MS,
  parseMetrics,
  type Rig,
  request,
  type Sample,
  sample,
  startRig,
  TEST_SERVICE,
} from './helpers.ts';

async function scrape(rig: Rig): Promise<Sample[]> {
  const res = await request(rig.url, '/metrics');
  expect(res.status).toBe(200);
  return parseMetrics(res.body).samples;
}

describe('GET /metrics', () => {
  it('exposes every metric with its Prometheus type and help', async () => {
    await using rig = await startRig(['alpha']);
    const res = await request(rig.url, '/metrics');
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types } = parseMetrics(res.body);
    expect(Object.fromEntries(types)).toEqual({
      breakwater_circuit_state: 'gauge',
      breakwater_calls_total: 'counter',
      breakwater_transitions_total: 'counter',
      breakwater_call_duration_seconds: 'histogram',
      breakwater_rejections_total: 'counter',
      breakwater_fallbacks_total: 'counter',
      breakwater_late_results_total: 'counter',
      breakwater_opens_total: 'counter',
      breakwater_pool_restarts_total: 'counter',
      breakwater_consecutive_failures: 'gauge',
      breakwater_failure_ratio: 'gauge',
      breakwater_window_failure_ratio: 'gauge',
      breakwater_window_slow_call_ratio: 'gauge',
      breakwater_calls_in_flight: 'gauge',
      breakwater_last_state_change_timestamp_seconds: 'gauge',
      breakwater_next_recovery_timestamp_seconds: 'gauge',
      breakwater_pool_threads: 'gauge',
      breakwater_pool_queue_length: 'gauge',
      breakwater_pool_broken: 'gauge',
      breakwater_metrics_unavailable: 'gauge',
    });
    // Every ratio is named _ratio (Prometheus conventions): no _rate gauges left.
    expect([...types.keys()].filter((n) => /_rate$/.test(n))).toEqual([]);
    for (const name of types.keys()) expect(res.body).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
  });

  it('counts calls by outcome, rejections, opens and transitions, and shows the state gauge', async () => {
    await using rig = await startRig(['alpha', 'beta']);
    const { sup, clock } = rig;
    await sup.run('alpha', () => 1);
    await sup.run('alpha', () => 2);
    const aborter = new AbortController();
    const aborted = sup.run('alpha', () => new Promise(() => {}), { signal: aborter.signal });
    aborter.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    await fail(sup, 'alpha', 2);
    const hung = sup.run('alpha', () => new Promise(() => {}), { timeoutMs: 100 });
    clock.advance(100);
    await expect(hung).rejects.toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(sup.state('alpha')).toBe('open');
    await expect(sup.run('alpha', () => 3)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });

    const s = await scrape(rig);
    const calls = (outcome: string): number | undefined =>
      sample(s, 'breakwater_calls_total', { service: 'alpha', outcome });
    expect(['success', 'failure', 'timeout', 'rejected', 'aborted'].map(calls)).toEqual([2, 2, 1, 1, 1]);
    expect(sample(s, 'breakwater_calls_total', { service: 'beta', outcome: 'success' })).toBe(0);
    expect(sample(s, 'breakwater_rejections_total', { service: 'alpha' })).toBe(1);
    expect(sample(s, 'breakwater_opens_total', { service: 'alpha' })).toBe(1);
    expect(sample(s, 'breakwater_consecutive_failures', { service: 'alpha' })).toBe(3);
    expect(sample(s, 'breakwater_transitions_total', { service: 'alpha', from: 'closed', to: 'open' })).toBe(
      1,
    );
    expect(sample(s, 'breakwater_next_recovery_timestamp_seconds', { service: 'alpha' })).toBe(
      (clock.now() + OPEN_MS) / 1000,
    );
    expect(sample(s, 'breakwater_next_recovery_timestamp_seconds', { service: 'beta' })).toBeUndefined();
    for (const state of ['closed', 'open', 'half-open', 'forced-open', 'disabled']) {
      expect(sample(s, 'breakwater_circuit_state', { service: 'alpha', state }), state).toBe(
        state === 'open' ? 1 : 0,
      );
      expect(sample(s, 'breakwater_circuit_state', { service: 'beta', state }), state).toBe(
        state === 'closed' ? 1 : 0,
      );
    }
    // Inline services have no pool series.
    expect(s.filter((x) => x.name.startsWith('breakwater_pool_'))).toEqual([]);

    clock.advance(OPEN_MS);
    await sup.run('alpha', () => 4);
    const after = await scrape(rig);
    expect(
      sample(after, 'breakwater_transitions_total', { service: 'alpha', from: 'open', to: 'half-open' }),
    ).toBe(1);
    expect(
      sample(after, 'breakwater_transitions_total', { service: 'alpha', from: 'half-open', to: 'closed' }),
    ).toBe(1);
    expect(sample(after, 'breakwater_circuit_state', { service: 'alpha', state: 'closed' })).toBe(1);
    expect(sample(after, 'breakwater_next_recovery_timestamp_seconds', { service: 'alpha' })).toBeUndefined();
  });

  it('fills the duration histogram from call events, in seconds of the supervisor clock', async () => {
    await using rig = await startRig(['alpha']);
    let finish!: (v: string) => void;
    const slow = rig.sup.run('alpha', () => new Promise<string>((r) => (finish = r)));
    rig.clock.advance(250);
    finish('done');
    await slow;
    await rig.sup.run('alpha', () => 'fast');
    await fail(rig.sup, 'alpha', 1);

    const s = await scrape(rig);
    const bucket = (outcome: string, le: string): number | undefined =>
      sample(s, 'breakwater_call_duration_seconds_bucket', { service: 'alpha', outcome, le });
    expect(bucket('success', '0.1')).toBe(1);
    expect(bucket('success', '0.25')).toBe(2);
    expect(bucket('success', '+Inf')).toBe(2);
    expect(sample(s, 'breakwater_call_duration_seconds_sum', { service: 'alpha', outcome: 'success' })).toBe(
      0.25,
    );
    expect(
      sample(s, 'breakwater_call_duration_seconds_count', { service: 'alpha', outcome: 'failure' }),
    ).toBe(1);
  });

  it('counts fallbacks, and its failure ratio reflects an outage (rejected calls count)', async () => {
    await using rig = await startRig([]);
    rig.sup.register('cached', { ...TEST_SERVICE, fallback: { value: 'stale' } });
    // 97 good calls, then a total outage: 3 failures open the breaker, the next 100 are rejected.
    for (let i = 0; i < 97; i++) await rig.sup.run('cached', () => i);
    await fail(rig.sup, 'cached', 3);
    for (let i = 0; i < 100; i++) expect(await rig.sup.run('cached', () => 'fresh')).toBe('stale');
    const s = await scrape(rig);
    expect(sample(s, 'breakwater_fallbacks_total', { service: 'cached' })).toBe(100);
    // The policy window never sees rejections: 3 failures in 100 calls.
    expect(sample(s, 'breakwater_window_failure_ratio', { service: 'cached' })).toBe(0.03);
    expect(sample(s, 'breakwater_window_failure_ratio', { service: 'cached' })).toBe(
      rig.sup.metrics('cached').failureRate,
    );
    // What callers saw: 103 of 200 calls got no answer from the service.
    expect(sample(s, 'breakwater_failure_ratio', { service: 'cached' })).toBe(103 / 200);
    expect(sample(s, 'breakwater_late_results_total', { service: 'cached' })).toBe(0);
    expect(sample(s, 'breakwater_last_state_change_timestamp_seconds', { service: 'cached' })).toBe(
      rig.clock.now() / 1000,
    );

    // A minute later, the outage goes on (probes fail, the rest is rejected): the ratio covers only
    // the last minute, where no call got an answer.
    for (let step = 0; step < 13; step++) {
      rig.clock.advance(5_000);
      for (let i = 0; i < 10; i++) await rig.sup.run('cached', boom).catch(() => undefined);
      await scrape(rig);
    }
    const later = await scrape(rig);
    expect(sample(later, 'breakwater_failure_ratio', { service: 'cached' })).toBe(1);
  });

  it('exposes every counter series of a service at 0 from its first scrape', async () => {
    await using rig = await startRig(['alpha']);
    const s = await scrape(rig);
    const of = (name: string): Sample[] => s.filter((x) => x.name === name && x.labels.service === 'alpha');
    // Every transition a breaker can make, automatic and manual, before any happened.
    expect(
      of('breakwater_transitions_total').map((x) => `${x.labels.from}->${x.labels.to}=${x.value}`),
    ).toEqual([
      'closed->open=0',
      'open->half-open=0',
      'half-open->closed=0',
      'half-open->open=0',
      'open->closed=0',
      'closed->forced-open=0',
      'open->forced-open=0',
      'half-open->forced-open=0',
      'disabled->forced-open=0',
      'forced-open->closed=0',
      'closed->disabled=0',
      'open->disabled=0',
      'half-open->disabled=0',
      'forced-open->disabled=0',
      'disabled->closed=0',
    ]);
    expect(of('breakwater_calls_total').map((x) => [x.labels.outcome, x.value])).toEqual([
      ['success', 0],
      ['failure', 0],
      ['timeout', 0],
      ['rejected', 0],
      ['aborted', 0],
    ]);
    for (const name of [
      'breakwater_rejections_total',
      'breakwater_fallbacks_total',
      'breakwater_late_results_total',
      'breakwater_opens_total',
    ]) {
      expect(
        of(name).map((x) => x.value),
        name,
      ).toEqual([0]);
    }
    // Then the first transition is a step from 0 to 1 that increase() can see.
    await fail(rig.sup, 'alpha', 3);
    const after = await scrape(rig);
    expect(
      sample(after, 'breakwater_transitions_total', { service: 'alpha', from: 'closed', to: 'open' }),
    ).toBe(1);
  });

  it('labels the duration histogram with the outcomes of calls_total, timeouts included', async () => {
    await using rig = await startRig(['alpha']);
    await rig.sup.run('alpha', () => 1);
    await fail(rig.sup, 'alpha', 1);
    const hung = rig.sup.run('alpha', () => new Promise(() => {}), { timeoutMs: 100 });
    rig.clock.advance(100);
    await expect(hung).rejects.toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    const s = await scrape(rig);
    for (const outcome of ['success', 'failure', 'timeout']) {
      expect(
        sample(s, 'breakwater_call_duration_seconds_count', { service: 'alpha', outcome }),
        outcome,
      ).toBe(sample(s, 'breakwater_calls_total', { service: 'alpha', outcome }));
    }
    expect(
      sample(s, 'breakwater_call_duration_seconds_count', { service: 'alpha', outcome: 'timeout' }),
    ).toBe(1);
    expect(sample(s, 'breakwater_call_duration_seconds_sum', { service: 'alpha', outcome: 'timeout' })).toBe(
      0.1,
    );
  });

  it('never lets a counter decrease, even when a service is registered again from zero', async () => {
    await using rig = await startRig(['alpha']);
    await rig.sup.run('alpha', () => 1);
    await rig.sup.run('alpha', () => 2);
    await fail(rig.sup, 'alpha', 3);
    const before = await scrape(rig);
    expect(sample(before, 'breakwater_calls_total', { service: 'alpha', outcome: 'success' })).toBe(2);

    await rig.sup.unregister('alpha');
    expect(
      (await scrape(rig)).filter((x) => x.labels.service === 'alpha' && x.name === 'breakwater_calls_total'),
    ).toEqual([]);
    rig.sup.register('alpha', TEST_SERVICE);
    await rig.sup.run('alpha', () => 3);
    const after = await scrape(rig);
    expect(sample(after, 'breakwater_calls_total', { service: 'alpha', outcome: 'success' })).toBe(3);
    expect(sample(after, 'breakwater_calls_total', { service: 'alpha', outcome: 'failure' })).toBe(3);
    expect(sample(after, 'breakwater_opens_total', { service: 'alpha' })).toBe(1);
    expect(sample(after, 'breakwater_circuit_state', { service: 'alpha', state: 'closed' })).toBe(1);
    for (const s of after) {
      const old = before.find(
        (b) => b.name === s.name && JSON.stringify(b.labels) === JSON.stringify(s.labels),
      );
      if (old !== undefined && /_total$|_count$|_bucket$|_sum$/.test(s.name))
        expect(s.value, s.name).toBeGreaterThanOrEqual(old.value);
    }
  });

  it("uses one registry per server for the user's own metrics, never the global one", async () => {
    await using rig = await startRig(['alpha']);
    const other = createAdminServer(rig.sup);
    expect(other.registry).not.toBe(rig.server.registry);
    expect(await globalRegistry.metrics()).not.toContain('breakwater_');
    new Counter({ name: 'app_orders_total', help: 'Orders.', registers: [rig.server.registry] }).inc(3);
    await rig.sup.run('alpha', () => 1);
    const s = await scrape(rig);
    expect(sample(s, 'app_orders_total', {})).toBe(3);
    expect(
      sample(s, 'breakwater_call_duration_seconds_count', { service: 'alpha', outcome: 'success' }),
    ).toBe(1);
    expect(await other.registry.metrics()).not.toContain('app_orders_total');
    await other.close();
  });

  it('shares one rendering between overlapping scrapes', async () => {
    await using rig = await startRig(['alpha', 'beta']);
    const [a, b] = await Promise.all([request(rig.url, '/metrics'), request(rig.url, '/metrics')]);
    expect(a.status).toBe(200);
    expect(a.body).toBe(b.body);
    expect(a.headers['transfer-encoding']).toBe('chunked');
    expect(parseMetrics(a.body).samples.length).toBeGreaterThan(50);
  });
});
