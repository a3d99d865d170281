/**
 * Calls handed to piscina ahead of a free thread (per-call mode keeps one per thread slot in
 * piscina's queue, so a thread gets its next call the moment it reports a result). Such a call is
 * still a waiting call: it counts against `maxQueue`, its queue timeout and an abort take it back
 * out at once (it never runs, its slot frees), and calls still start in the order they were made.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { Bus, codeOf, makePool } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe('a call waiting behind a busy thread', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, maxQueue: 1, queueTimeoutMs: 300 });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('is withdrawn when its queue time is up: it never runs and frees its room at once', async () => {
    const running = t.call('gate', ['ho-busy']);
    await bus.when('ho-busy');
    const late = codeOf(t.call('gate', ['ho-never']));
    expect(t.pool.metrics()).toMatchObject({ running: 1, queued: 1 });
    // maxQueue 1: the waiting call fills the queue.
    expect(await codeOf(t.call('add', [1, 1]))).toBe(ErrorCode.BulkheadFull);
    await t.clock.advanceAsync(300);
    expect(await late).toBe(ErrorCode.QueueTimeout);
    expect(t.pool.metrics()).toMatchObject({ running: 1, queued: 0 });
    // Its room is free again before the busy thread is.
    const next = t.call('add', [2, 3]);
    bus.release('ho-busy');
    expect(await running).toBe('ho-busy');
    expect(await next).toBe(5);
    expect(bus.saw('ho-never')).toBe(false);
  });

  it('is withdrawn when its caller aborts', async () => {
    const running = t.call('gate', ['ho-busy-2']);
    await bus.when('ho-busy-2');
    const c = new AbortController();
    const aborted = codeOf(t.call('gate', ['ho-never-2'], { signal: c.signal }));
    c.abort();
    expect(await aborted).toBe(ErrorCode.Aborted);
    expect(t.pool.metrics()).toMatchObject({ running: 1, queued: 0 });
    bus.release('ho-busy-2');
    expect(await running).toBe('ho-busy-2');
    expect(await t.call('add', [1, 2])).toBe(3);
    expect(bus.saw('ho-never-2')).toBe(false);
  });
});

describe('calls waiting in piscina and in our queue', () => {
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('run in the order they were made', async () => {
    const running = t.call('gate', ['ho-order']);
    await bus.when('ho-order');
    const order: number[] = [];
    const calls = [1, 2, 3, 4, 5].map((i) => t.call('echo', [i]).then((v) => order.push(v as number)));
    expect(t.pool.metrics().queued).toBe(5);
    bus.release('ho-order');
    await Promise.all([running, ...calls]);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });
});
