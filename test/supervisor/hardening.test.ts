/**
 * Bad input and odd values that used to get through (issue 10): typos in options at every level and
 * per call, async listeners that reject, close() with bad options, thenables whose `then` getter
 * throws, a service named `__proto__`, copies of `defaults`, and how shutdown rejections and handler
 * names are counted. Each of these failed before its fix.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, Supervisor } from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import type { ServiceOptions } from '../../src/types.ts';
import { codeOf, errorOf, failing, hanging, track } from './helpers.ts';

const S = 'svc';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('unknown option keys are refused, naming the full path and the key probably meant', () => {
  const cases: [string, unknown, string, string | undefined][] = [
    ['breaker.opnMs', { breaker: { opnMs: 1 } }, 'options.breaker.opnMs', 'openMs'],
    ['breakr', { breakr: {} }, 'options.breakr', 'breaker'],
    [
      'trip.treshold',
      { breaker: { trip: { kind: 'consecutive', treshold: 1 } } },
      'options.breaker.trip.treshold',
      'threshold',
    ],
    ['fallbak', { fallbak: { value: 1 } }, 'options.fallbak', 'fallback'],
    [
      'concurrentTasksPerWorkers',
      { concurrentTasksPerWorkers: 2 },
      'options.concurrentTasksPerWorkers',
      'concurrentTasksPerWorker',
    ],
    [
      'halfOpen.maxcalls',
      { breaker: { halfOpen: { maxcalls: 1 } } },
      'options.breaker.halfOpen.maxcalls',
      'maxCalls',
    ],
    [
      'backoff.factr',
      { breaker: { backoff: { kind: 'exponential', factr: 3 } } },
      'options.breaker.backoff.factr',
      'factor',
    ],
    [
      'backoff constant with maxMs',
      { breaker: { backoff: { kind: 'constant', maxMs: 3 } } },
      'options.breaker.backoff.maxMs',
      undefined,
    ],
    [
      'count-window.sze',
      { breaker: { trip: { kind: 'count-window', sze: 3 } } },
      'options.breaker.trip.sze',
      'size',
    ],
    ['fallback { value, extra }', { fallback: { value: 1, vaule: 2 } }, 'options.fallback.vaule', 'value'],
    ['threads.mx', { threads: { mx: 2 } }, 'options.threads.mx', 'max'],
    ['batching.maxBtach', { batching: { maxBtach: 2 } }, 'options.batching.maxBtach', 'maxBatch'],
    ['a word far from every key', { zebra: 1 }, 'options.zebra', undefined],
  ];
  it.each(cases)('register(): %s', (_label, options, field, meant) => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    const error = thrown(() => sup.register(S, options as ServiceOptions));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field });
    const message = (error as Error).message;
    expect(message.startsWith(`${field} must be a known option`)).toBe(true);
    if (meant === undefined) expect(message).not.toContain('did you mean');
    else expect(message).toContain(`(did you mean \`${meant}\`?)`);
    expect(sup.has(S)).toBe(false);
  });

  it('the Supervisor constructor: its own keys and those of `defaults`', () => {
    expect(thrown(() => new Supervisor({ captureStack: true } as never))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: 'options.captureStack',
      message: expect.stringContaining('did you mean `captureStacks`?'),
    });
    expect(thrown(() => new Supervisor({ defaults: { breaker: { opnMs: 5 } } as never }))).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: 'options.defaults.breaker.opnMs',
      message: expect.stringContaining('did you mean `openMs`?'),
    });
  });

  it('per call: run() and runResult() refuse { timeOutMs }, and run nothing', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) }).register(S);
    let ran = 0;
    const work = async () => ++ran;
    const error = await sup.run(S, work, { timeOutMs: 1 } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: 'options.timeOutMs',
      message: expect.stringContaining('did you mean `timeoutMs`?'),
    });
    const result = await sup.runResult(S, work, { fallbak: { value: 1 } } as never);
    expect(result.ok === false && codeOf(result.error)).toBe('ERR_INVALID_OPTION');
    // transferList belongs to call(), not run().
    expect(codeOf(await sup.run(S, work, { transferList: [] } as never).catch((e: unknown) => e))).toBe(
      'ERR_INVALID_OPTION',
    );
    expect(
      await sup.run(S, work, { fallback: { value: 0, vlaue: 1 } } as never).catch((e: unknown) => e),
    ).toMatchObject({ field: 'options.fallback.vlaue' });
    expect(ran).toBe(0);
    expect(sup.metrics(S).totalRequests).toBe(0);
  });

  it('per call: call() refuses { transferlist } and an empty handler name, counting neither', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) }).register(S);
    const error = await sup.call(S, 'h', [], { transferlist: [] } as never).catch((e: unknown) => e);
    expect(error).toMatchObject({
      field: 'options.transferlist',
      message: expect.stringContaining('did you mean `transferList`?'),
    });
    // '' is refused like a non-string, before the service is even looked up (not counted).
    for (const handler of ['', 5]) {
      expect(await sup.call(S, handler as string, []).catch((e: unknown) => e)).toMatchObject({
        code: 'ERR_INVALID_OPTION',
        field: 'handler',
      });
    }
    expect(sup.metrics(S)).toMatchObject({ totalRequests: 0, rejectedRequests: 0 });
  });

  it('close(): unknown keys refused like bad values', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) });
    await expect(sup.close({ drian: true } as never)).rejects.toMatchObject({
      field: 'options.drian',
      message: expect.stringContaining('did you mean `drain`?'),
    });
    expect(sup.closed).toBe(false);
  });
});

describe('async listeners', () => {
  it('a listener whose promise rejects is reported as listenerError, once, with its event', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register(S, {
      breaker: { trip: { kind: 'consecutive', threshold: 1 } },
    });
    const boom = new Error('listener failed');
    const reported: { event: string; error: unknown; service?: string | undefined }[] = [];
    sup.on('listenerError', (e) => reported.push({ event: e.event, error: e.error, service: e.service }));
    let other = 0;
    sup.on('stateChange', async () => {
      throw boom;
    });
    sup.on('stateChange', () => {
      other++;
    });
    await sup.run(S, failing()).catch(() => {});
    await flushMicrotasks();
    expect(sup.state(S)).toBe('open');
    expect(other).toBe(1);
    expect(reported).toEqual([{ event: 'stateChange', error: boom, service: S }]);
  });

  it('without a listenerError listener the rejection goes to the logger, not to the process', async () => {
    const logged: unknown[] = [];
    const logger = { info() {}, warn() {}, error: (obj: object) => logged.push(obj) };
    const sup = new Supervisor({ clock: new ManualClock(0), logger });
    const boom = new Error('late');
    sup.on('registered', () => Promise.reject(boom));
    sup.register(S);
    await flushMicrotasks();
    expect(logged).toEqual([expect.objectContaining({ err: boom, event: 'registered', service: S })]);
  });
});

describe('close() with bad options changes nothing', () => {
  it('rejects, and the supervisor stays open: calls run, listeners stay, a later close() works', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register(S);
    let heard = 0;
    sup.on('stateChange', () => heard++);
    await expect(sup.close({ drain: 'yes' } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: 'options.drain',
    });
    expect(sup.closed).toBe(false);
    expect(await sup.run(S, async () => 7)).toBe(7);
    sup.forceOpen(S);
    expect(heard).toBe(1);
    await sup.close();
    expect(sup.closed).toBe(true);
    expect(sup.listenerCount('stateChange')).toBe(0);
  });
});

describe('work returning a thenable whose `then` getter throws', () => {
  const evil = (error: Error) => () =>
    ({
      // biome-ignore lint/suspicious/noThenProperty: the thenable whose getter throws is the point.
      get then() {
        throw error;
      },
    }) as unknown as Promise<never>;

  it.each([
    ['no timeout, no options (the plain path)', 0, undefined],
    ['the default timeout (the timed path)', 300, undefined],
    ['a per-call timeout', 0, { timeoutMs: 300 }],
    ['a signal, no timeout', 0, { signal: new AbortController().signal, timeoutMs: 0 }],
  ] as const)(
    '%s: the call rejects with the getter error, counted once as a failure',
    async (_l, callTimeoutMs, opts) => {
      const clock = new ManualClock(0);
      const sup = new Supervisor({ clock }).register(S, { breaker: { callTimeoutMs } });
      const boom = new Error('then getter');
      const call = track(sup.run(S, evil(boom), opts));
      await flushMicrotasks();
      expect(errorOf(call)).toBe(boom);
      expect(sup.metrics(S)).toMatchObject({ inFlight: 0, failedRequests: 1, timedOutRequests: 0 });
      clock.advance(1_000);
      expect(sup.metrics(S)).toMatchObject({ failedRequests: 1, timedOutRequests: 0 });
      await sup.close({ drain: true, timeoutMs: 10 });
    },
  );
});

describe('a service named __proto__', () => {
  it('shows in allMetrics(), health() and snapshot(), and a snapshot of it restores', () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock }).register('__proto__').register('b');
    sup.forceOpen('__proto__');
    const all = sup.allMetrics();
    expect(Object.keys(all)).toEqual(['__proto__', 'b']);
    expect(Object.getPrototypeOf(all)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(all, '__proto__')?.value).toMatchObject({ state: 'forced-open' });
    const health = sup.health();
    expect(health.status).toBe('degraded');
    expect(Object.keys(health.services)).toEqual(['__proto__', 'b']);
    const snap = JSON.parse(JSON.stringify(sup.snapshot()));
    expect(Object.keys(snap.services)).toEqual(['__proto__', 'b']);
    const again = new Supervisor({ clock, restore: snap }).register('__proto__');
    expect(again.state('__proto__')).toBe('forced-open');
  });
});

describe('defaults are copied at every level', () => {
  it("changing the caller's defaults.breaker later changes nothing", () => {
    const defaults = {
      breaker: {
        openMs: 1_000,
        halfOpen: { maxCalls: 2 },
        trip: { kind: 'consecutive' as const, threshold: 1 },
      },
      threads: { min: 0 },
    };
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock, defaults });
    (defaults.breaker as { openMs: number }).openMs = 99_000;
    (defaults.breaker.halfOpen as { maxCalls: number }).maxCalls = 50;
    (defaults.breaker.trip as { threshold: number }).threshold = 50;
    sup.register(S);
    return sup
      .run(S, failing())
      .catch(() => {})
      .then(() => {
        expect(sup.metrics(S)).toMatchObject({ state: 'open', nextRecoveryAttempt: 1_000 });
      });
  });
});

describe('counting', () => {
  it('a call given up by close() is a rejection, not an abort by its caller', async () => {
    const sup = new Supervisor({ clock: new ManualClock(0) }).register(S);
    const given = track(sup.run(S, () => hanging()));
    const aborted = new AbortController();
    const byCaller = track(sup.run(S, () => hanging(), { signal: aborted.signal }));
    aborted.abort();
    await sup.close();
    expect(codeOf(errorOf(given))).toBe('ERR_SUPERVISOR_CLOSED');
    expect(codeOf(errorOf(byCaller))).toBe('ERR_ABORTED');
    expect(sup.metrics(S)).toMatchObject({ abortedRequests: 1, rejectedRequests: 1, totalRequests: 2 });
  });
});
