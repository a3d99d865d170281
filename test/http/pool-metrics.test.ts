/**
 * Pool figures on /metrics and /health for a service whose calls run in a real piscina pool of a
 * real worker file: threads, queue length, restarts (a worker that exits mid-call) and broken.
 */
import { describe, expect, it } from 'vitest';
import { parseMetrics, request, sample, startRig } from './helpers.ts';

const WORKER = new URL('./fixtures/pool-handlers.ts', import.meta.url);

describe('pool metrics', () => {
  it('exposes threads, queue length, restarts and broken for pool services only', async () => {
    await using rig = await startRig(['inline']);
    rig.sup.register('pooled', {
      worker: WORKER,
      threads: { min: 1, max: 1 },
      breaker: { callTimeoutMs: 0 },
    });
    expect(await rig.sup.call('pooled', 'add', [2, 3])).toBe(5);
    const firstThread = await rig.sup.call<number>('pooled', 'whoAmI', []);

    const scrape = async () => parseMetrics((await request(rig.url, '/metrics')).body).samples;
    let s = await scrape();
    expect(sample(s, 'breakwater_pool_threads', { service: 'pooled' })).toBe(1);
    expect(sample(s, 'breakwater_pool_queue_length', { service: 'pooled' })).toBe(0);
    expect(sample(s, 'breakwater_pool_broken', { service: 'pooled' })).toBe(0);
    expect(sample(s, 'breakwater_pool_restarts_total', { service: 'pooled' })).toBe(0);
    expect(sample(s, 'breakwater_pool_threads', { service: 'inline' })).toBeUndefined();

    // One call holds the only thread; the next waits in the queue.
    const holder = new AbortController();
    const waiter = new AbortController();
    const running = rig.sup.call('pooled', 'untilAborted', [], { signal: holder.signal });
    const queued = rig.sup.call('pooled', 'add', [1, 1], { signal: waiter.signal });
    s = await scrape();
    expect(sample(s, 'breakwater_pool_queue_length', { service: 'pooled' })).toBe(1);
    expect(sample(s, 'breakwater_calls_in_flight', { service: 'pooled' })).toBe(2);
    const health = (await request(rig.url, '/health')).json<{
      services: Record<string, { metrics: { pool?: { queued: number; threads: number } } }>;
    }>();
    expect(health.services.pooled!.metrics.pool).toMatchObject({ queued: 1, threads: 1 });
    expect(health.services.inline!.metrics.pool).toBeUndefined();
    holder.abort();
    await expect(running).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(await queued).toBe(2);

    // A worker that exits mid-call is replaced; the replacement has served a call once we read.
    await expect(rig.sup.call('pooled', 'crash', [])).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    expect(await rig.sup.call<number>('pooled', 'whoAmI', [])).not.toBe(firstThread);
    s = await scrape();
    expect(sample(s, 'breakwater_pool_restarts_total', { service: 'pooled' })).toBe(1);
    expect(sample(s, 'breakwater_pool_threads', { service: 'pooled' })).toBe(1);
    expect(sample(s, 'breakwater_calls_total', { service: 'pooled', outcome: 'failure' })).toBe(1);
  });
});
