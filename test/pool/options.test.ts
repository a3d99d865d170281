import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { resolvePoolOptions } from '../../src/pool/options.ts';
import { fixture } from './helpers.ts';

const worker = fixture('handlers.ts');

function fails(input: Record<string, unknown>): {
  code: unknown;
  field: unknown;
  message: string;
  name: string;
} {
  try {
    resolvePoolOptions({ worker, ...input } as never, 'options');
  } catch (error) {
    const e = error as { code: unknown; field: unknown; message: string; name: string };
    return { code: e.code, field: e.field, message: e.message, name: e.name };
  }
  throw new Error('expected resolvePoolOptions to throw');
}

describe('resolvePoolOptions', () => {
  it('is undefined for a service without a worker', () => {
    expect(resolvePoolOptions({})).toBeUndefined();
  });

  it('fills the defaults', () => {
    expect(resolvePoolOptions({ worker })).toEqual({
      worker,
      minThreads: 1,
      maxThreads: Math.min(4, availableParallelism()),
      idleTimeoutMs: 30_000,
      concurrentTasksPerWorker: 1,
      maxQueue: Number.POSITIVE_INFINITY,
      queueTimeoutMs: 0,
      abortGraceMs: 1_000,
      resourceLimits: undefined,
      batching: undefined,
    });
  });

  it('takes a path (resolved against cwd), a file: URL string or a URL', () => {
    const path = fixture('plain.js').pathname;
    expect(resolvePoolOptions({ worker: path })?.worker.href).toBe(fixture('plain.js').href);
    expect(resolvePoolOptions({ worker: fixture('plain.js').href })?.worker.href).toBe(
      fixture('plain.js').href,
    );
    expect(resolvePoolOptions({ worker: 'test/fixtures/plain.js' })?.worker.href).toBe(
      fixture('plain.js').href,
    );
  });

  it('raises max to min when only min is given above the default', () => {
    expect(resolvePoolOptions({ worker, threads: { min: 8 } })).toMatchObject({
      minThreads: 8,
      maxThreads: 8,
    });
    expect(resolvePoolOptions({ worker, threads: { max: 1 } })).toMatchObject({
      minThreads: 1,
      maxThreads: 1,
    });
  });

  it('resolves batching', () => {
    expect(resolvePoolOptions({ worker, batching: true })?.batching).toEqual({ maxBatch: 256 });
    expect(resolvePoolOptions({ worker, batching: false })?.batching).toBeUndefined();
    expect(resolvePoolOptions({ worker, batching: { maxBatch: 16 } })?.batching).toEqual({ maxBatch: 16 });
  });

  it('keeps only the resource limits that are set', () => {
    expect(
      resolvePoolOptions({ worker, resourceLimits: { maxOldGenerationSizeMb: 64 } })?.resourceLimits,
    ).toEqual({
      maxOldGenerationSizeMb: 64,
    });
  });

  it.each([
    [{ worker: 42 }, 'options.worker', 'TypeError', 'options.worker must be a file URL or a path, got 42'],
    [
      { worker: new URL('https://example.com/x.js') },
      'options.worker',
      'RangeError',
      'options.worker must be a file: URL, got "https://example.com/x.js"',
    ],
    [
      { worker: '/no/such/module.js' },
      'options.worker',
      'RangeError',
      'options.worker must be an existing module file, got "file:///no/such/module.js"',
    ],
    [{ threads: 2 }, 'options.threads', 'TypeError', 'options.threads must be an object, got 2'],
    [
      { threads: { min: -1 } },
      'options.threads.min',
      'RangeError',
      'options.threads.min must be an integer between 0 and 1024, got -1',
    ],
    [
      { threads: { max: 0 } },
      'options.threads.max',
      'RangeError',
      'options.threads.max must be an integer between 1 and 1024, got 0',
    ],
    [
      { threads: { min: 3, max: 2 } },
      'options.threads.min',
      'RangeError',
      'options.threads.min must be <= threads.max (2), got 3',
    ],
    [
      { idleTimeoutMs: -5 },
      'options.idleTimeoutMs',
      'RangeError',
      'options.idleTimeoutMs must be an integer between 0 and 2147483647, got -5',
    ],
    [
      { concurrentTasksPerWorker: 0 },
      'options.concurrentTasksPerWorker',
      'RangeError',
      'options.concurrentTasksPerWorker must be an integer between 1 and 10000, got 0',
    ],
    [
      { maxQueue: 1.5 },
      'options.maxQueue',
      'RangeError',
      'options.maxQueue must be an integer >= 0, got 1.5',
    ],
    [
      { queueTimeoutMs: '1s' },
      'options.queueTimeoutMs',
      'TypeError',
      'options.queueTimeoutMs must be a number, got "1s"',
    ],
    [
      { resourceLimits: { heapMb: 1 } },
      'options.resourceLimits.heapMb',
      'RangeError',
      'options.resourceLimits.heapMb must be one of maxOldGenerationSizeMb, maxYoungGenerationSizeMb, codeRangeSizeMb, stackSizeMb, got "heapMb"',
    ],
    [
      { resourceLimits: { stackSizeMb: -1 } },
      'options.resourceLimits.stackSizeMb',
      'RangeError',
      'options.resourceLimits.stackSizeMb must be a number between 0 and 1048576, got -1',
    ],
    [
      { batching: 'yes' },
      'options.batching',
      'TypeError',
      'options.batching must be a boolean or { maxBatch }, got "yes"',
    ],
    [
      { batching: { maxBatch: 0 } },
      'options.batching.maxBatch',
      'RangeError',
      'options.batching.maxBatch must be an integer between 1 and 65536, got 0',
    ],
  ])('rejects %j naming %s', (input, field, name, message) => {
    expect(fails(input)).toEqual({ code: ErrorCode.InvalidOption, field, name, message });
  });
});
