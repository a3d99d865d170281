import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isDataCloneError, whyNotCloneable } from '../../src/serialization/cloneable.ts';
import { deserializeError, MAX_CAUSE_DEPTH, serializeError } from '../../src/serialization/errors.ts';

/** Through serialization and a real structured clone, as between threads. */
const roundTrip = (thrown: unknown): unknown => deserializeError(structuredClone(serializeError(thrown)));

describe('error serialization', () => {
  it('keeps the class name when the error does not set `name`', () => {
    class HttpError extends Error {}
    const e = roundTrip(new HttpError('502')) as Error;
    expect([e.name, e.message]).toEqual(['HttpError', '502']);
    expect(e).toBeInstanceOf(Error);
  });

  it('keeps an explicit name, code, stack and own fields (nested errors rebuilt too)', () => {
    const inner = Object.assign(new RangeError('inner'), { code: 'E_INNER' });
    const error = Object.assign(new Error('outer'), {
      name: 'PaymentError',
      code: 42,
      amount: { eur: 3 },
      inner,
    });
    const e = roundTrip(error) as Error & Record<string, unknown>;
    expect(e.name).toBe('PaymentError');
    expect(e.code).toBe(42);
    expect(e.amount).toEqual({ eur: 3 });
    expect(e.stack).toBe(error.stack);
    expect(e.inner).toBeInstanceOf(Error);
    expect(e.inner).toMatchObject({ name: 'RangeError', message: 'inner', code: 'E_INNER' });
  });

  it('keeps the cause chain, cut at a bounded depth (a cause may point back at its error)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    let e = roundTrip(b) as Error | undefined;
    let depth = 0;
    const seen: string[] = [];
    while (e instanceof Error) {
      seen.push(e.message);
      e = e.cause as Error | undefined;
      depth++;
    }
    expect(depth).toBe(MAX_CAUSE_DEPTH + 1);
    expect(seen.slice(0, 3)).toEqual(['b', 'a', 'b']);
  });

  it('keeps a cause that is not an error, and AggregateError members', () => {
    const e = roundTrip(new Error('x', { cause: { status: 503 } })) as Error;
    expect(e.cause).toEqual({ status: 503 });
    const agg = roundTrip(new AggregateError([new TypeError('t'), 'plain'], 'many')) as AggregateError;
    expect(agg.name).toBe('AggregateError');
    expect(agg.errors[0]).toMatchObject({ name: 'TypeError', message: 't' });
    expect(agg.errors[1]).toBe('plain');
  });

  it('replaces field values that cannot be cloned instead of failing', () => {
    const e = roundTrip(Object.assign(new Error('x'), { callback: () => 1, socket: new Socket() })) as Error &
      Record<string, unknown>;
    expect(e.callback).toBe('[not cloneable: function]');
    expect(e.socket).toBe('[not cloneable: object]');
  });

  it('passes thrown non-errors through as themselves', () => {
    expect(roundTrip('just a string')).toBe('just a string');
    expect(roundTrip(404)).toBe(404);
    expect(roundTrip({ why: 'object' })).toEqual({ why: 'object' });
    expect(roundTrip(Symbol.for('s'))).toBe('Symbol(s)');
  });
});

describe('whyNotCloneable', () => {
  it('vouches for plain data without cloning it', () => {
    const data = [1, 'a', null, undefined, 2n, true, { a: [new Date(), /x/, new Map([[1, new Set([2])]])] }];
    expect(whyNotCloneable(data, true)).toBeUndefined();
    expect(
      whyNotCloneable([new ArrayBuffer(8), new Uint8Array(4), Object.create(null)], true),
    ).toBeUndefined();
  });

  it('names what is wrong', () => {
    expect(whyNotCloneable([() => 1], false)).toMatch(/could not be cloned/);
    expect(whyNotCloneable([new Socket()], false)).toMatch(/could not be cloned|Cannot clone/);
    expect(whyNotCloneable([{ s: Symbol('x') }], false)).toMatch(/could not be cloned/);
    expect(whyNotCloneable([new WeakMap()], false)).toMatch(/could not be cloned/);
  });

  it('leaves values too large to walk to postMessage unless asked to be thorough', () => {
    const big: unknown[] = Array.from({ length: 2000 }, (_, i) => ({ i }));
    big.push(() => 1);
    expect(whyNotCloneable(big, false)).toBeUndefined();
    expect(whyNotCloneable(big, true)).toMatch(/could not be cloned/);
  });

  it('leaves objects it does not know to postMessage when a transfer list is given', () => {
    const { port1 } = new MessageChannel();
    expect(whyNotCloneable([port1], false)).toBeDefined();
    expect(whyNotCloneable([port1], false, [port1])).toBeUndefined();
    port1.close();
  });

  it('recognizes DataCloneError', () => {
    let thrown: unknown;
    try {
      structuredClone(() => 1);
    } catch (error) {
      thrown = error;
    }
    expect(isDataCloneError(thrown)).toBe(true);
    expect(isDataCloneError(new Error('x'))).toBe(false);
  });
});
