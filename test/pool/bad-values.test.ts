/**
 * Values that can't cross the thread boundary (scenario 23), in every pool mode: errors whose
 * getters or Proxy traps throw, cause cycles, huge and deep fields reach the caller as the
 * handler's error with what could be read; arguments that can't be sent are ERR_NOT_CLONEABLE
 * before any thread is used; results that can't be sent are ERR_NOT_CLONEABLE and the handler's
 * failure. None of them costs a thread or harms a co-tenant.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { countsAsFailure, ErrorCode, isProtectionError } from '../../src/errors.ts';
import { Bus, MODES, makePool, outcome } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

function deep(depth: number): unknown[] {
  let v: unknown[] = [];
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

describe.each(MODES)('bad values ($mode)', ({ mode, options, shared }) => {
  /** A call that shares the thread with the bad one while it runs (in modes that share threads). */
  const tenant = async (tag: string): Promise<{ done(): Promise<unknown> }> => {
    if (!shared) return { done: () => Promise.resolve(tag) };
    const p = t.call('gate', [tag]);
    await bus.when(tag);
    return {
      done: () => {
        bus.release(tag);
        return p;
      },
    };
  };
  const t = makePool('handlers.ts', { threads: { min: 1, max: 1 }, ...options });
  afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

  it('an error whose message getter throws arrives typed, with its class name, as a failure', async () => {
    const other = await tenant(`${mode}-bad-msg`);
    const r = await outcome(t.call('throwBadMessage'));
    expect(r.ok).toBe(false);
    const error = (r as { error: Error & Record<string, unknown> }).error;
    expect(error.name).toBe('GetterError');
    expect(error.message).toBe('[message could not be read]');
    expect(String(error.status)).toMatch(/^\[field could not be read: status getter\]$/);
    expect(error.code).not.toBe(ErrorCode.WorkerCrashed);
    expect(countsAsFailure(error)).toBe(true);
    expect(await other.done()).toBe(`${mode}-bad-msg`);
    expect(t.pool.metrics()).toMatchObject({ crashes: 0, terminations: 0, threads: 1 });
  });

  it('a thrown Proxy with throwing traps, and cause cycles with huge and deep fields, arrive typed', async () => {
    const proxy = await outcome(t.call('throwProxy'));
    const p = (proxy as { error: Error }).error;
    expect(p.name).toBe('RangeError');
    expect(p.message).toBe('[message could not be read]');
    const huge = await outcome(t.call('throwHuge'));
    const h = (huge as { error: Error & Record<string, unknown> }).error;
    expect(h.name).toBe('TypeError');
    expect(h.message.length).toBeLessThan(20_000);
    expect(h.message).toMatch(/more characters not sent\]$/);
    expect(h.blob).toBe('[too large: string]');
    expect(h.deep).toBe('[not cloneable: object]');
    expect((h.cause as Error).message).toBe('other');
    expect(t.pool.metrics()).toMatchObject({ crashes: 0, terminations: 0, threads: 1 });
  });

  it('an argument nested 5,000 arrays deep is ERR_NOT_CLONEABLE before any thread, not a failure', async () => {
    const r = await outcome(t.call('echo', [deep(5000)]));
    const error = (r as { error: Error & { code?: unknown; direction?: unknown } }).error;
    expect(error.code).toBe(ErrorCode.NotCloneable);
    expect(error.direction).toBe('arguments');
    expect(isProtectionError(error)).toBe(true);
    expect(countsAsFailure(error)).toBe(false);
    expect(t.pool.metrics()).toMatchObject({ crashes: 0, running: 0 });
    expect(await t.call('add', [1, 1])).toBe(2);
  });

  it('a result nested 5,000 deep is ERR_NOT_CLONEABLE and the handler failure; the thread lives', async () => {
    const other = await tenant(`${mode}-deep-result`);
    const r = await outcome(t.call('returnDeep', [5000]));
    const error = (r as { error: Error & { code?: unknown; direction?: unknown } }).error;
    expect(error.code).toBe(ErrorCode.NotCloneable);
    expect(error.direction).toBe('result');
    expect(countsAsFailure(error)).toBe(true);
    expect(await t.call('returnDeep', [3])).toEqual(deep(3));
    expect(await other.done()).toBe(`${mode}-deep-result`);
    expect(t.pool.metrics()).toMatchObject({ crashes: 0, terminations: 0, threads: 1 });
  });
});
