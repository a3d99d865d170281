/**
 * The shortcuts of the hot paths keep the behaviour of the general ones: `run()`'s cached
 * "takes no signal" check, its timed fast path, protection errors built without a constructor
 * call, and rejections delivered one microtask late (RELIABILITY.md: settle once, count once).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inspect, types } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  BreakwaterError,
  CircuitOpenError,
  HalfOpenFullError,
  isCircuitOpenError,
  isHalfOpenFullError,
  ManualClock,
  Supervisor,
} from '../../src/index.ts';
import { flushMicrotasks } from '../../src/time/manual-clock.ts';
import { codeOf, errorOf, hanging, track } from './helpers.ts';

const S = 'svc';

function setup(callTimeoutMs: number) {
  const clock = new ManualClock(0);
  const sup = new Supervisor({ clock });
  sup.register(S, { breaker: { callTimeoutMs, trip: { kind: 'consecutive', threshold: 2 }, openMs: 1_000 } });
  return { clock, sup };
}

/**
 * 20 quick successes: on a ManualClock the latency sampler backs off at once, so the calls that
 * follow (up to the 31st) take run()'s hot path rather than the sampled, general one.
 */
async function warm(sup: Supervisor): Promise<void> {
  for (let i = 0; i < 20; i++) await sup.run(S, async () => 0);
}

describe('the cached "takes no signal" check', () => {
  it('a value that is not a function is refused before admission, even first thing on a hot service', async () => {
    const { sup } = setup(0);
    // Calls with options warm the latency sampler up (so the next calls are hot) without ever
    // showing run()'s hot path a function.
    for (let i = 0; i < 20; i++) await sup.run(S, async () => 1, {});
    for (const bad of [undefined, null, 42]) {
      const error = await sup.run(S, bad as never).catch((e: unknown) => e);
      expect(codeOf(error)).toBe('ERR_INVALID_OPTION');
    }
    expect(sup.metrics(S)).toMatchObject({ totalRequests: 20, failedRequests: 0, inFlight: 0 });
  });

  it('work that declares a signal still gets its own after a cached one, and the cache is per service', async () => {
    const { sup } = setup(0);
    const plain = async () => 1;
    const signals: AbortSignal[] = [];
    const wants = async (signal: AbortSignal) => {
      signals.push(signal);
      return 2;
    };
    for (let i = 0; i < 3; i++) {
      await expect(sup.run(S, plain)).resolves.toBe(1);
      await expect(sup.run(S, wants)).resolves.toBe(2);
    }
    expect(new Set(signals).size).toBe(3);
    expect(sup.metrics(S)).toMatchObject({ successfulRequests: 6, inFlight: 0 });
  });
});

describe("run()'s remembered service", () => {
  it('follows unregister() and a new register() under the same name, and alternating services', async () => {
    const { sup } = setup(0);
    await warm(sup);
    sup.register('other', { breaker: { callTimeoutMs: 0 } });
    for (let i = 0; i < 4; i++) {
      await sup.run(S, async () => 1);
      await sup.run('other', async () => 2);
    }
    await sup.unregister(S);
    await expect(sup.run(S, async () => 1)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_SERVICE' });
    sup.register(S, { breaker: { callTimeoutMs: 0 } });
    await expect(sup.run(S, async () => 3)).resolves.toBe(3);
    expect(sup.metrics(S)).toMatchObject({ totalRequests: 1, successfulRequests: 1 });
    expect(sup.metrics('other')).toMatchObject({ successfulRequests: 4 });
  });
});

describe('the timed hot path (default call timeout, work without a signal)', () => {
  it('times out exactly at callTimeoutMs, counts one failure, and drops the late result', async () => {
    const { clock, sup } = setup(500);
    await warm(sup);
    let finish!: (v: number) => void;
    const call = track(sup.run(S, () => new Promise<number>((r) => (finish = r))));
    clock.advance(499);
    await flushMicrotasks();
    expect(call.outcome).toBeUndefined();
    clock.advance(1);
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_CALL_TIMEOUT');
    finish(1);
    await flushMicrotasks();
    expect(sup.metrics(S)).toMatchObject({
      failedRequests: 1,
      timedOutRequests: 1,
      successfulRequests: 20,
      inFlight: 0,
    });
  });

  it('settles with the value, a thrown error or a rejection, each counted once', async () => {
    const { sup } = setup(500);
    await warm(sup);
    await expect(sup.run(S, async () => 7)).resolves.toBe(7);
    await expect(sup.run(S, () => 8)).resolves.toBe(8);
    const boom = new Error('boom');
    await expect(
      sup.run(S, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(sup.metrics(S)).toMatchObject({ successfulRequests: 22, failedRequests: 1, inFlight: 0 });
  });

  it('close() gives up a pending timed call with ERR_SUPERVISOR_CLOSED', async () => {
    const { sup } = setup(500);
    await warm(sup);
    const call = track(sup.run(S, () => hanging()));
    await sup.close();
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_SUPERVISOR_CLOSED');
    expect(sup.metrics(S)).toMatchObject({
      abortedRequests: 0,
      rejectedRequests: 1,
      failedRequests: 0,
      inFlight: 0,
    });
  });
});

describe('the hot path for work that takes a signal (no options, closed breaker)', () => {
  it('times out at callTimeoutMs, aborts that call’s own signal with the timeout error, and counts one failure', async () => {
    const { clock, sup } = setup(500);
    await warm(sup);
    const signals: AbortSignal[] = [];
    const wants = (signal: AbortSignal): Promise<number> => {
      signals.push(signal);
      return signals.length < 4 ? Promise.resolve(signals.length) : hanging();
    };
    for (let i = 1; i <= 3; i++) await expect(sup.run(S, wants)).resolves.toBe(i);
    const call = track(sup.run(S, wants));
    clock.advance(499);
    await flushMicrotasks();
    expect(call.outcome).toBeUndefined();
    expect(signals[3]?.aborted).toBe(false);
    clock.advance(1);
    await flushMicrotasks();
    const error = errorOf(call);
    expect(codeOf(error)).toBe('ERR_CALL_TIMEOUT');
    expect(signals[3]?.reason).toBe(error);
    // Each call had a signal of its own; the finished calls' signals were never aborted.
    expect(new Set(signals).size).toBe(4);
    expect(signals.slice(0, 3).map((s) => s.aborted)).toEqual([false, false, false]);
    expect(sup.metrics(S)).toMatchObject({
      successfulRequests: 23,
      failedRequests: 1,
      timedOutRequests: 1,
      inFlight: 0,
    });
  });

  it('close() gives the call up and aborts its signal; without a timeout each call still gets its own signal', async () => {
    const { sup } = setup(500);
    await warm(sup);
    let seen: AbortSignal | undefined;
    const call = track(
      sup.run(S, (signal: AbortSignal) => {
        seen = signal;
        return hanging();
      }),
    );
    await sup.close();
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_SUPERVISOR_CLOSED');
    expect(seen?.aborted).toBe(true);

    const untimed = setup(0).sup;
    await warm(untimed);
    const got: AbortSignal[] = [];
    const wants = async (signal: AbortSignal) => got.push(signal);
    for (let i = 0; i < 3; i++) await untimed.run(S, wants);
    expect(new Set(got).size).toBe(3);
    expect(got.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
  });
});

describe('the hot path for per-call options (closed breaker)', () => {
  it('a per-call timeoutMs replaces the service’s, exactly, and a fallback answers the timeout', async () => {
    const { clock, sup } = setup(500);
    sup.register('fb', { breaker: { callTimeoutMs: 500 }, fallbackOnFailure: true });
    await warm(sup);
    for (let i = 0; i < 20; i++) await sup.run('fb', async () => 0);
    const call = track(sup.run(S, () => hanging(), { timeoutMs: 100 }));
    const withFallback = track(sup.run('fb', () => hanging(), { timeoutMs: 100, fallback: { value: -1 } }));
    clock.advance(99);
    await flushMicrotasks();
    expect(call.outcome).toBeUndefined();
    expect(withFallback.outcome).toBeUndefined();
    clock.advance(1);
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_CALL_TIMEOUT');
    expect(withFallback.outcome).toEqual({ ok: true, value: -1 });
    expect(sup.metrics(S)).toMatchObject({ timedOutRequests: 1, fallbacks: 0, inFlight: 0 });
    expect(sup.metrics('fb')).toMatchObject({ timedOutRequests: 1, fallbacks: 1, inFlight: 0 });
    // timeoutMs: 0 turns the timeout off for that call only.
    const untimed = track(sup.run(S, () => hanging(), { timeoutMs: 0 }));
    clock.advance(10_000);
    await flushMicrotasks();
    expect(untimed.outcome).toBeUndefined();
    expect(sup.metrics(S).inFlight).toBe(1);
  });

  it('a per-call signal aborts the call (counted as aborted), and one already aborted never runs the work', async () => {
    const { sup } = setup(500);
    await warm(sup);
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const call = track(
      sup.run(
        S,
        (signal: AbortSignal) => {
          seen = signal;
          return hanging();
        },
        { signal: controller.signal },
      ),
    );
    controller.abort(new Error('caller gave up'));
    await flushMicrotasks();
    expect(codeOf(errorOf(call))).toBe('ERR_ABORTED');
    expect(seen?.aborted).toBe(true);
    let ran = false;
    const late = await sup
      .run(
        S,
        async () => {
          ran = true;
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    expect(codeOf(late)).toBe('ERR_ABORTED');
    expect(ran).toBe(false);
    expect(sup.metrics(S)).toMatchObject({ abortedRequests: 2, failedRequests: 0, inFlight: 0 });
  });

  it('a bad option on a hot service is refused before admission, like anywhere else', async () => {
    const { sup } = setup(500);
    await warm(sup);
    for (const bad of [{ timeOutMs: 1 }, { timeoutMs: -1 }, { signal: {} }, { fallback: 3 }]) {
      const error = await sup.run(S, async () => 1, bad as never).catch((e: unknown) => e);
      expect(codeOf(error)).toBe('ERR_INVALID_OPTION');
    }
    const result = await sup.runResult(S, async () => 1, { timeOutMs: 1 } as never);
    expect(result.ok).toBe(false);
    expect(sup.metrics(S)).toMatchObject({ totalRequests: 20, successfulRequests: 20, inFlight: 0 });
  });

  it('with options the calls keep being sampled for latency', async () => {
    const clock = new ManualClock(0);
    const sup = new Supervisor({ clock });
    sup.register(S, { breaker: { callTimeoutMs: 500 }, latencySampleEvery: 4 });
    for (let i = 0; i < 40; i++) {
      await sup.run(
        S,
        () =>
          new Promise<number>((resolve) => {
            clock.advance(200);
            resolve(i);
          }),
        { timeoutMs: 1_000 },
      );
    }
    // Every call takes 200 ms of the clock: the sampled ones (in the general path) report that.
    expect(sup.metrics(S).avgResponseTimeMs).toBeCloseTo(200, 0);
    expect(sup.metrics(S)).toMatchObject({ successfulRequests: 40, inFlight: 0 });
  });
});

describe('protection errors made by create()', () => {
  it('are the same native errors the constructors make, minus the stack frames', () => {
    const made = CircuitOpenError.create(S, 1_750, 1_000);
    const built = new CircuitOpenError(S, 1_750, 1_000);
    expect(types.isNativeError(made)).toBe(true);
    expect(made).toBeInstanceOf(CircuitOpenError);
    expect(made).toBeInstanceOf(BreakwaterError);
    expect(isCircuitOpenError(made)).toBe(true);
    expect(Object.prototype.toString.call(made)).toBe('[object Error]');
    expect(Object.keys(made)).toEqual(Object.keys(built));
    expect({ ...made }).toEqual({ ...built });
    expect([made.name, made.message, made.retryAfterMs]).toEqual([built.name, built.message, 750]);
    expect(made.stack).toBe(`CircuitOpenError: ${built.message}`);
    expect(inspect(made)).toContain('CircuitOpenError: circuit for "svc" is open; retry after 750 ms');
    expect(structuredClone(made).message).toBe(built.message);

    const full = HalfOpenFullError.create(S, 3);
    const fullBuilt = new HalfOpenFullError(S, 3);
    expect(types.isNativeError(full) && full instanceof HalfOpenFullError && isHalfOpenFullError(full)).toBe(
      true,
    );
    expect({ ...full }).toEqual({ ...fullBuilt });
    expect([full.name, full.message]).toEqual([fullBuilt.name, fullBuilt.message]);

    expect(CircuitOpenError.create(S, null, 0, true).stack).toContain('\n    at ');
  });
});

describe('rejections delivered one microtask late', () => {
  it('an open breaker’s rejection is pending when run() returns, then rejects with the typed error', async () => {
    const { sup } = setup(0);
    sup.forceOpen(S);
    const p = sup.run(S, () => 1);
    expect(inspect(p)).toBe('Promise { <pending> }');
    const error = await p.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(sup.metrics(S)).toMatchObject({ rejectedRequests: 1, inFlight: 0 });
  });

  it('a dropped rejection is still reported as unhandled', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/dropped-rejection.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    // Safety net only: a child that hangs would otherwise hang the suite. It fails the test.
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'unhandled ERR_CIRCUIT_OPEN\n' });
  });
});
