/**
 * Randomized stress (seeded, so a failure replays): mixes of fast, slow-but-in-time, hanging,
 * signal-honouring, aborted, bad-error and CPU-stuck calls on shared threads, in every mode, on
 * the real clock. Asserts that every call settled exactly once with the outcome its kind allows
 * (a call that finishes before its deadline on a thread that is not stuck never fails), that the
 * threads taking calls never exceed threads.max, and that the pool is back to strength after.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { systemClock } from '../../src/time/clock.ts';
import type { ServiceOptions } from '../../src/types.ts';
import { makePool, outcome, type TestPool } from './helpers.ts';

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'fast' | 'async' | 'slow' | 'hang' | 'polite' | 'abort' | 'bad' | 'spin';
const KINDS: readonly [Kind, number][] = [
  ['fast', 30],
  ['async', 20],
  ['slow', 15],
  ['hang', 8],
  ['polite', 8],
  ['abort', 8],
  ['bad', 6],
];

const MODES: readonly [string, ServiceOptions][] = [
  ['per-call', {}],
  ['concurrentTasksPerWorker 8', { concurrentTasksPerWorker: 8 }],
  ['batching', { batching: true }],
];

const CALLS = 160;
const MAX = 2;
const TIMEOUT_MS = 150;

interface Settled {
  readonly kind: Kind;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { code?: string; collateral?: boolean; name?: string } | undefined;
}

function pick(random: () => number): Kind {
  const total = KINDS.reduce((n, [, w]) => n + w, 0);
  let r = random() * total;
  for (const [kind, w] of KINDS) {
    r -= w;
    if (r < 0) return kind;
  }
  return 'fast';
}

function start(t: TestPool, kind: Kind, i: number, random: () => number): Promise<unknown> {
  const timeoutMs = TIMEOUT_MS;
  switch (kind) {
    case 'fast':
      return t.call('add', [i, 1], { timeoutMs });
    case 'async':
      return t.call('addLater', [i, 2], { timeoutMs });
    case 'slow':
      return t.call('sleepFor', [1 + Math.floor(random() * 20)], { timeoutMs: 2_000 });
    case 'hang':
      return t.call('hang', [`stress-${i}`], { timeoutMs });
    case 'polite':
      return t.call('waitForAbort', [`stress-${i}`], { timeoutMs });
    case 'abort': {
      const controller = new AbortController();
      const p = t.call('hang', [`stress-${i}`], { signal: controller.signal });
      queueMicrotask(() => controller.abort());
      return p;
    }
    case 'bad':
      return t.call('throwBadMessage', [], { timeoutMs });
    case 'spin':
      return t.call('spin', [`stress-${i}`], { timeoutMs });
  }
}

/** What a call of `kind` may end with. `stuck`: a CPU-stuck call shared the run. */
function allowed(s: Settled, i: number, stuck: boolean): boolean {
  const code = s.error?.code;
  // Lost with a thread another call stuck: collateral, never a failure of its own. (On a stuck
  // thread a call may also time out, even one that returned: its result was still in the batch.)
  if (!s.ok && s.error?.collateral === true && stuck) return s.kind !== 'spin';
  switch (s.kind) {
    case 'fast':
      return (s.ok && s.value === i + 1) || (stuck && code === ErrorCode.CallTimeout);
    case 'async':
      return (s.ok && s.value === i + 2) || (stuck && code === ErrorCode.CallTimeout);
    case 'slow':
      return s.ok || (stuck && code === ErrorCode.CallTimeout);
    case 'hang':
    case 'polite':
    case 'spin':
      return code === ErrorCode.CallTimeout;
    case 'abort':
      return code === ErrorCode.Aborted;
    case 'bad':
      return (!s.ok && s.error?.name === 'GetterError') || (stuck && code === ErrorCode.CallTimeout);
  }
}

describe.each(MODES)('stress (%s)', (mode, options) => {
  it.each([
    [1, false],
    [2, true],
  ])('seed %i (CPU-stuck calls: %s): every call settles once as its kind allows', async (seed, withSpin) => {
    const random = prng(seed * 7919 + mode.length);
    const t = makePool(
      'handlers.ts',
      { threads: { min: 1, max: MAX }, abortGraceMs: 50, ...options },
      systemClock,
    );
    const maxSeen = { accepting: 0, total: 0 };
    const sample = (): void => {
      const m = t.pool.metrics();
      maxSeen.accepting = Math.max(maxSeen.accepting, m.threads - m.retiring);
      maxSeen.total = Math.max(maxSeen.total, m.threads);
    };
    try {
      const kinds: Kind[] = Array.from({ length: CALLS }, () => pick(random));
      if (withSpin) kinds[Math.floor(CALLS / 3)] = 'spin';
      let settledCount = 0;
      const settled: Settled[] = [];
      const runs: Promise<void>[] = [];
      for (let i = 0; i < CALLS; i++) {
        const kind = kinds[i] as Kind;
        let once = 0;
        runs.push(
          outcome(start(t, kind, i, random)).then((r) => {
            once++;
            settledCount++;
            expect(once).toBe(1);
            settled[i] = r.ok
              ? { kind, ok: true, value: r.value }
              : { kind, ok: false, error: r.error as Settled['error'] };
            sample();
          }),
        );
        sample();
        // A few calls at a time, then let the loop turn: bursts and quiet moments.
        if (random() < 0.2) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await Promise.all(runs);
      expect(settledCount).toBe(CALLS);
      const wrong = settled
        .map((s, i) => ({ i, ...s }))
        .filter((s) => !allowed(s, s.i, withSpin))
        .map(
          (s) => `${s.i} ${s.kind}: ${s.ok ? `ok ${String(s.value)}` : `${s.error?.code ?? s.error?.name}`}`,
        );
      expect(wrong).toEqual([]);
      // Back to strength: retired threads gone, at least threads.min taking calls.
      await t.log.when(() => {
        sample();
        const m = t.pool.metrics();
        return m.retiring === 0 && m.threads >= 1 && m.threads <= MAX;
      });
      expect(await t.call('add', [40, 2])).toBe(42);
      expect(maxSeen.accepting).toBeLessThanOrEqual(MAX);
      expect(maxSeen.total).toBeLessThanOrEqual(2 * MAX);
      expect(t.pool.metrics()).toMatchObject({ crashes: 0, broken: false });
    } finally {
      await t.pool.close({ drain: false, timeoutMs: 0 });
    }
  });
});
