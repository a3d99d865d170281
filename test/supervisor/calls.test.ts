/**
 * One inline call, end to end: timeouts, error classification (`isFailure`, protection errors),
 * fallbacks, the rejection errors' fields and the never-rejecting `runResult()`.
 */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, ManualClock, Supervisor } from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import type { BreakerOptions, Logger, ServiceOptions } from '../../src/types.ts';
import { codeOf, deferred, errorOf, failing, hanging, record, track } from './helpers.ts';

const S = 'svc';
const BREAKER: BreakerOptions = {
  trip: { kind: 'consecutive', threshold: 3, windowMs: 0 },
  openMs: 1_000,
  halfOpen: { maxCalls: 1, successThreshold: 1 },
  callTimeoutMs: 500,
};

function setup(options: ServiceOptions<string> = {}, logger?: Logger) {
  const clock = new ManualClock(0);
  const sup = new Supervisor(logger === undefined ? { clock } : { clock, logger });
  sup.register<string>(S, { ...options, breaker: { ...BREAKER, ...options.breaker } });
  return { clock, sup };
}

async function trip(sup: Supervisor): Promise<void> {
  for (let i = 0; i < 3; i++) await sup.run(S, failing()).catch(() => undefined);
  expect(sup.state(S)).toBe('open');
}

describe('call timeouts', () => {
  it('rejects with ERR_CALL_TIMEOUT at callTimeoutMs, counts a failure, aborts the work’s signal, emits callTimedOut', async () => {
    const { clock, sup } = setup();
    const timedOut = record(sup, 'callTimedOut');
    let workSignal: AbortSignal | undefined;
    const call = track(
      sup.run(S, (signal) => {
        workSignal = signal;
        return hanging();
      }),
    );
    clock.advance(499);
    await flushMicrotasks();
    expect(call.outcome).toBeUndefined();
    expect(workSignal?.aborted).toBe(false);
    clock.advance(1);
    await flushMicrotasks();
    const error = errorOf(call);
    expect(error).toMatchObject({
      name: 'CallTimeoutError',
      code: 'ERR_CALL_TIMEOUT',
      service: S,
      timeoutMs: 500,
    });
    expect((error as Error).message).toBe('call to "svc" timed out after 500 ms');
    expect(workSignal?.aborted).toBe(true);
    expect(workSignal?.reason).toBe(error);
    expect(timedOut).toEqual([{ service: S, at: 500, timeoutMs: 500, state: 'closed' }]);
    expect(sup.metrics(S)).toMatchObject({
      failedRequests: 1,
      timedOutRequests: 1,
      consecutiveFailures: 1,
      inFlight: 0,
    });
  });

  it('a per-call timeoutMs overrides the service’s; 0 disables it', async () => {
    const { clock, sup } = setup();
    const short = track(sup.run(S, () => hanging(), { timeoutMs: 100 }));
    const none = track(sup.run(S, () => hanging(), { timeoutMs: 0 }));
    clock.advance(100);
    await flushMicrotasks();
    expect(errorOf(short)).toMatchObject({ code: 'ERR_CALL_TIMEOUT', timeoutMs: 100 });
    clock.advance(1_000_000);
    await flushMicrotasks();
    expect(none.outcome).toBeUndefined();
    expect(sup.metrics(S)).toMatchObject({ timedOutRequests: 1, inFlight: 1 });
  });

  it('timeouts trip the breaker; a result arriving after its timeout is dropped, not counted twice', async () => {
    const { clock, sup } = setup();
    const works = [deferred<string>(), deferred<string>(), deferred<string>()];
    const calls = works.map((w) => track(sup.run(S, () => w.promise)));
    clock.advance(500);
    await flushMicrotasks();
    expect(calls.map((c) => codeOf(errorOf(c)))).toEqual([
      'ERR_CALL_TIMEOUT',
      'ERR_CALL_TIMEOUT',
      'ERR_CALL_TIMEOUT',
    ]);
    expect(sup.state(S)).toBe('open');
    for (const w of works) w.resolve('too late');
    await flushMicrotasks();
    expect(sup.metrics(S)).toMatchObject({
      totalRequests: 3,
      failedRequests: 3,
      timedOutRequests: 3,
      successfulRequests: 0,
      lateResults: 0,
    });
  });

  it('a timeout is a failure whatever isFailure says', async () => {
    const { clock, sup } = setup({ breaker: { isFailure: () => false } });
    const call = track(sup.run(S, () => hanging()));
    clock.advance(500);
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_CALL_TIMEOUT');
    expect(sup.metrics(S)).toMatchObject({ failedRequests: 1, successfulRequests: 0 });
  });
});

describe('isFailure', () => {
  class NotFound extends Error {}
  const isFailure = (e: unknown) => !(e instanceof NotFound);

  it('false: the error still reaches the caller, but the service counts as having answered', async () => {
    const { sup } = setup({ breaker: { isFailure } });
    const seen: unknown[] = [];
    sup.on('callSucceeded', (e) => seen.push(e.state));
    await sup.run(S, failing()).catch(() => undefined);
    await sup.run(S, failing()).catch(() => undefined);
    const notFound = new NotFound('no such user');
    for (let i = 0; i < 5; i++)
      await expect(sup.run(S, () => Promise.reject(notFound))).rejects.toBe(notFound);
    expect(sup.metrics(S)).toMatchObject({
      successfulRequests: 5,
      failedRequests: 2,
      consecutiveFailures: 0,
    });
    expect(sup.state(S)).toBe('closed');
    expect(seen).toHaveLength(5);
  });

  it('a probe ending in a non-failure error closes a half-open breaker', async () => {
    const { clock, sup } = setup({ breaker: { isFailure } });
    await trip(sup);
    clock.advance(1_000);
    await expect(sup.run(S, () => Promise.reject(new NotFound()))).rejects.toBeInstanceOf(NotFound);
    expect(sup.state(S)).toBe('closed');
  });

  it('receives the error; when it throws, the call counts as a failure and the logger is told', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { info: () => {}, warn: () => {}, error: (obj, msg) => logged.push([obj, msg]) };
    const received: unknown[] = [];
    const bug = new Error('classifier bug');
    const { sup } = setup(
      {
        breaker: {
          isFailure: (e) => {
            received.push(e);
            throw bug;
          },
        },
      },
      logger,
    );
    const own = new Error('own');
    await expect(sup.run(S, () => Promise.reject(own))).rejects.toBe(own);
    expect(received).toEqual([own]);
    expect(sup.metrics(S).failedRequests).toBe(1);
    expect(logged).toEqual([[{ err: bug, service: S }, 'isFailure threw; counting as failure']]);
  });
});

describe('protection errors thrown by the work', () => {
  it('a nested CircuitOpenError reaches the caller and never counts as a failure, even if isFailure says so', async () => {
    const inner = new Supervisor({ clock: new ManualClock(0) }).register('inner', {
      breaker: { trip: { kind: 'consecutive', threshold: 1 } },
    });
    await inner.run('inner', failing()).catch(() => undefined);
    const { sup } = setup({ breaker: { isFailure: () => true } });
    for (let i = 0; i < 10; i++) {
      const error = await sup.run(S, () => inner.run('inner', () => 'x')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect((error as CircuitOpenError).service).toBe('inner');
    }
    expect(sup.state(S)).toBe('closed');
    expect(sup.metrics(S)).toMatchObject({
      failedRequests: 0,
      successfulRequests: 0,
      consecutiveFailures: 0,
      totalRequests: 10,
    });
  });

  it('recognised by code, across realms (a plain object with a protection code)', async () => {
    const { sup } = setup();
    for (const code of [
      'ERR_CIRCUIT_OPEN',
      'ERR_HALF_OPEN_FULL',
      'ERR_BULKHEAD_FULL',
      'ERR_ABORTED',
      'ERR_QUEUE_TIMEOUT',
    ]) {
      const foreign = { code, message: 'from another realm' };
      await expect(sup.run(S, () => Promise.reject(foreign))).rejects.toBe(foreign);
    }
    expect(sup.metrics(S)).toMatchObject({ failedRequests: 0, consecutiveFailures: 0 });
    expect(sup.state(S)).toBe('closed');
  });
});

describe('rejection errors', () => {
  it('ERR_CIRCUIT_OPEN carries retryAt and retryAfterMs, and no stack unless captureStacks', async () => {
    const { clock, sup } = setup();
    await trip(sup);
    clock.advance(250);
    const error = (await sup.run(S, () => 'x').catch((e: unknown) => e)) as CircuitOpenError;
    expect(error).toMatchObject({
      name: 'CircuitOpenError',
      code: 'ERR_CIRCUIT_OPEN',
      service: S,
      retryAt: 1_000,
      retryAfterMs: 750,
    });
    expect(error.message).toBe('circuit for "svc" is open; retry after 750 ms');
    expect(error.stack ?? '').not.toContain('\n    at ');

    const withStacks = new Supervisor({ clock: new ManualClock(0), captureStacks: true });
    withStacks.register(S, { breaker: BREAKER });
    withStacks.forceOpen(S);
    const stacked = (await withStacks.run(S, () => 'x').catch((e: unknown) => e)) as Error;
    expect(stacked.stack).toContain('\n    at ');
  });

  it('ERR_HALF_OPEN_FULL names the number of probes', async () => {
    const { clock, sup } = setup();
    await trip(sup);
    clock.advance(1_000);
    void sup.run(S, () => hanging()).catch(() => undefined);
    const error = await sup.run(S, () => 'x').catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'HalfOpenFullError',
      code: 'ERR_HALF_OPEN_FULL',
      service: S,
      maxCalls: 1,
    });
    expect((error as Error).message).toBe('circuit for "svc" is half-open and all 1 probes are taken');
  });
});

describe('fallbacks', () => {
  it('a service fallback value answers rejected calls; counted, with a fallback event', async () => {
    const { clock, sup } = setup({ fallback: { value: 'cached' } });
    const events = record(sup, 'fallback');
    await trip(sup);
    clock.advance(10);
    await expect(sup.run(S, () => 'fresh')).resolves.toBe('cached');
    expect(sup.metrics(S)).toMatchObject({ fallbacks: 1, rejectedRequests: 1 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      service: S,
      at: 10,
      kind: 'rejected',
      error: { code: 'ERR_CIRCUIT_OPEN' },
    });
  });

  it('the function form gets the error and { service, kind }, and may return a promise', async () => {
    const seen: unknown[] = [];
    const { sup } = setup({
      fallback: async (error, info) => {
        seen.push([codeOf(error), info]);
        return 'computed';
      },
    });
    sup.forceOpen(S);
    await expect(sup.run(S, () => 'fresh')).resolves.toBe('computed');
    expect(seen).toEqual([['ERR_CIRCUIT_OPEN', { service: S, kind: 'rejected' }]]);
  });

  it('answers ERR_HALF_OPEN_FULL rejections too', async () => {
    const { clock, sup } = setup({ fallback: { value: 'cached' } });
    await trip(sup);
    clock.advance(1_000);
    void sup.run(S, () => hanging()).catch(() => undefined);
    await expect(sup.run(S, () => 'fresh')).resolves.toBe('cached');
  });

  it('a per-call fallback overrides the service’s', async () => {
    const { sup } = setup({ fallback: { value: 'service' } });
    sup.forceOpen(S);
    await expect(sup.run(S, () => 'x', { fallback: { value: 'call' } })).resolves.toBe('call');
    await expect(sup.run(S, () => 'x', { fallback: () => 'call fn' })).resolves.toBe('call fn');
    expect(sup.metrics(S).fallbacks).toBe(2);
  });

  it('is not used for a failure unless fallbackOnFailure', async () => {
    const own = new Error('down');
    const plain = setup({ fallback: { value: 'cached' } });
    await expect(plain.sup.run(S, () => Promise.reject(own))).rejects.toBe(own);
    await expect(plain.sup.run(S, () => Promise.reject(own), { fallback: { value: 'call' } })).rejects.toBe(
      own,
    );
    expect(plain.sup.metrics(S).fallbacks).toBe(0);

    const { clock, sup } = setup({ fallback: { value: 'cached' }, fallbackOnFailure: true });
    const events = record(sup, 'fallback');
    await expect(sup.run(S, () => Promise.reject(own))).resolves.toBe('cached');
    const timedOut = sup.run(S, () => hanging());
    clock.advance(500);
    await expect(timedOut).resolves.toBe('cached');
    expect(sup.metrics(S)).toMatchObject({ fallbacks: 2, failedRequests: 2, timedOutRequests: 1 });
    expect(events.map((e) => [e.kind, codeOf(e.error) ?? e.error])).toEqual([
      ['failed', own],
      ['failed', 'ERR_CALL_TIMEOUT'],
    ]);
  });

  it('is never used for non-failures: isFailure false, protection errors, aborts', async () => {
    class NotFound extends Error {}
    const { sup } = setup({
      fallback: { value: 'cached' },
      fallbackOnFailure: true,
      breaker: { isFailure: (e) => !(e instanceof NotFound) },
    });
    const notFound = new NotFound();
    await expect(sup.run(S, () => Promise.reject(notFound))).rejects.toBe(notFound);
    const nested = { code: 'ERR_CIRCUIT_OPEN' };
    await expect(sup.run(S, () => Promise.reject(nested))).rejects.toBe(nested);
    const controller = new AbortController();
    const aborted = sup.run(S, () => hanging(), { signal: controller.signal });
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(sup.metrics(S).fallbacks).toBe(0);
  });

  it('a fallback that throws rejects the call with its error', async () => {
    const bug = new Error('fallback bug');
    const { sup } = setup({
      fallback: () => {
        throw bug;
      },
    });
    sup.forceOpen(S);
    await expect(sup.run(S, () => 'x')).rejects.toBe(bug);
    await expect(sup.runResult(S, () => 'x')).resolves.toEqual({ ok: false, error: bug });
  });
});

describe('runResult()', () => {
  it('never rejects: value, the work’s own error, protection errors, unknown service, closed supervisor', async () => {
    const { sup } = setup();
    await expect(sup.runResult(S, () => 'v')).resolves.toEqual({ ok: true, value: 'v' });
    const own = new Error('own');
    await expect(sup.runResult(S, () => Promise.reject(own))).resolves.toEqual({ ok: false, error: own });
    const thrown = new Error('sync');
    await expect(
      sup.runResult(S, () => {
        throw thrown;
      }),
    ).resolves.toEqual({ ok: false, error: thrown });
    sup.forceOpen(S);
    const open = await sup.runResult(S, () => 'v');
    expect(open.ok).toBe(false);
    expect(codeOf(open.ok ? undefined : open.error)).toBe('ERR_CIRCUIT_OPEN');
    const unknown = await sup.runResult('nope', () => 'v');
    expect(codeOf(unknown.ok ? undefined : unknown.error)).toBe('ERR_UNKNOWN_SERVICE');
    await sup.close();
    const closed = await sup.runResult(S, () => 'v');
    expect(codeOf(closed.ok ? undefined : closed.error)).toBe('ERR_SUPERVISOR_CLOSED');
  });

  it('counts every rejection while an open breaker answers from one ready-made result', async () => {
    const { clock, sup } = setup();
    await trip(sup);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await sup.runResult(S, () => 'v'));
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'ERR_CIRCUIT_OPEN', retryAt: 1_000 } });
    expect(sup.metrics(S).rejectedRequests).toBe(5);
    clock.advance(1_000);
    await expect(sup.runResult(S, () => 'probe')).resolves.toEqual({ ok: true, value: 'probe' });
  });

  it('with a fallback, resolves { ok: true, value: fallback }', async () => {
    const { sup } = setup({ fallback: { value: 'cached' } });
    sup.forceOpen(S);
    await expect(sup.runResult(S, () => 'v')).resolves.toEqual({ ok: true, value: 'cached' });
  });
});
