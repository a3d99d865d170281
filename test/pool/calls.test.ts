/**
 * What crosses the thread boundary: values, handler errors (scenario 1), unknown handlers (20),
 * arguments that can't be cloned (16), moved buffers, the handler's AbortSignal. One pool serves
 * the whole file: none of these hurt its thread.
 */
import { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { codeOf, makePool, outcome } from './helpers.ts';

const t = makePool('handlers.ts', { threads: { min: 1, max: 1 } });
afterAll(() => t.pool.close({ drain: false, timeoutMs: 0 }));

describe('values', () => {
  it('returns what sync and async handlers return', async () => {
    expect(await t.call('add', [2, 3])).toBe(5);
    expect(await t.call('addLater', [2, 3])).toBe(5);
    expect(await t.call('echo', [{ a: [1, 'x', null], d: new Date(0), m: new Map([[1, 2]]) }])).toEqual({
      a: [1, 'x', null],
      d: new Date(0),
      m: new Map([[1, 2]]),
    });
  });

  it('moves a transferred ArrayBuffer instead of copying it', async () => {
    const buffer = new ArrayBuffer(1024);
    const length = t.call('byteLength', [buffer], { transferList: [buffer] });
    // Detached as soon as it was posted: the worker owns the memory now.
    expect(await length).toBe(1024);
    expect(buffer.byteLength).toBe(0);
    const copied = new ArrayBuffer(16);
    expect(await t.call('byteLength', [copied])).toBe(16);
    expect(copied.byteLength).toBe(16);
  });
});

describe('handler errors (scenario 1)', () => {
  it('keeps class name, message, code, custom fields and the cause chain', async () => {
    const r = await outcome(t.call('throwCustom', ['x']));
    expect(r.ok).toBe(false);
    const error = (r as { error: Error & Record<string, unknown> }).error;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe('bad value x');
    expect(error.code).toBe('E_VALIDATION');
    expect(error.field).toBe('name');
    expect(error.details).toEqual({ min: 3 });
    expect(error.httpStatus).toBe(422);
    expect(error.stack).toContain('throwCustom');
    const middle = error.cause as Error & Record<string, unknown>;
    expect([middle.name, middle.message]).toEqual(['Error', 'upstream failed']);
    const root = middle.cause as Error & Record<string, unknown>;
    expect([root.name, root.message, root.code, root.attempt]).toEqual([
      'TypeError',
      'socket closed',
      'ECONNRESET',
      2,
    ]);
  });

  it('keeps async rejections and thrown non-errors', async () => {
    const rejected = await outcome(t.call('rejectLater'));
    expect((rejected as { error: Error }).error).toMatchObject({ name: 'RangeError', message: 'too far' });
    const thrown = await outcome(t.call('throwValue'));
    expect((thrown as { error: unknown }).error).toEqual({ reason: 'plain object', n: 1 });
  });

  it('turns a result that cannot be sent back into ERR_NOT_CLONEABLE, the handler failure', async () => {
    const r = await outcome(t.call('returnFunction'));
    expect((r as { error: Error }).error).toMatchObject({
      name: 'NotCloneableError',
      code: 'ERR_NOT_CLONEABLE',
      direction: 'result',
    });
    expect((r as { error: Error }).error.message).toContain('returnFunction');
  });
});

describe('unknown handlers (scenario 20)', () => {
  it('rejects ERR_UNKNOWN_HANDLER for a missing export and for a non-function export', async () => {
    expect(await codeOf(t.call('nope'))).toBe(ErrorCode.UnknownHandler);
    expect(await codeOf(t.call('notAFunction'))).toBe(ErrorCode.UnknownHandler);
    const r = await outcome(t.call('nope'));
    expect((r as { error: Error }).error.message).toBe('worker module of "test" has no export named "nope"');
    expect(t.pool.metrics().crashes).toBe(0);
  });
});

describe('arguments that cannot be cloned (scenario 16)', () => {
  it('rejects ERR_NOT_CLONEABLE before any thread is used', async () => {
    // A pool with no thread yet: a rejected call must not start one.
    const cold = makePool('handlers.ts', { threads: { min: 0, max: 1 } });
    try {
      expect(await codeOf(cold.call('echo', [() => 1]))).toBe(ErrorCode.NotCloneable);
      expect(await codeOf(cold.call('echo', [{ nested: [Symbol('s')] }]))).toBe(ErrorCode.NotCloneable);
      expect(await codeOf(cold.call('echo', [new Socket()]))).toBe(ErrorCode.NotCloneable);
      expect(await codeOf(cold.call('echo', [Promise.resolve(1)]))).toBe(ErrorCode.NotCloneable);
      expect(cold.pool.metrics()).toMatchObject({ threads: 0, running: 0, queued: 0 });
      expect(cold.log.count('worker thread started')).toBe(0);
    } finally {
      await cold.pool.close({ drain: false, timeoutMs: 0 });
    }
  });

  it('rejects ERR_NOT_CLONEABLE when postMessage finds what the quick check did not', async () => {
    // Too big for the quick walk: postMessage has the last word, and only this call fails.
    const big: unknown[] = Array.from({ length: 2000 }, (_, i) => ({ i }));
    big.push(() => 1);
    expect(await codeOf(t.call('echo', [big]))).toBe(ErrorCode.NotCloneable);
    expect(await t.call('add', [1, 1])).toBe(2);
    expect(t.pool.metrics()).toMatchObject({ crashes: 0, running: 0 });
  });

  it('rejects ERR_NOT_CLONEABLE for a transfer list entry that cannot be transferred', async () => {
    const bad = [{}] as unknown as ArrayBuffer[];
    expect(await codeOf(t.call('echo', [1], { transferList: bad }))).toBe(ErrorCode.NotCloneable);
    expect(await t.call('add', [1, 1])).toBe(2);
  });

  it('lets class instances with plain data through (they clone as plain objects)', async () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    expect(await t.call('echo', [new Point(1, 2)])).toEqual({ x: 1, y: 2 });
  });
});

describe('bad requests', () => {
  it('rejects a non-string handler or non-array args with ERR_INVALID_OPTION', async () => {
    expect(await codeOf(t.call(''))).toBe(ErrorCode.InvalidOption);
    expect(
      await codeOf(
        t.pool.call({
          handler: 'add',
          args: 'x' as never,
          timeoutMs: 0,
          signal: undefined,
          transferList: undefined,
        }),
      ),
    ).toBe(ErrorCode.InvalidOption);
  });
});

describe('plain JavaScript modules', () => {
  it('runs a .js handler module and passes an AbortSignal to a handler that declares one', async () => {
    const js = makePool('plain.js', { threads: { min: 1, max: 1 } });
    try {
      expect(await js.call('double', [21])).toBe(42);
      expect(await js.call('greet', ['ada'])).toBe('hello ada (with signal)');
    } finally {
      await js.pool.close({ drain: false, timeoutMs: 0 });
    }
  });
});
