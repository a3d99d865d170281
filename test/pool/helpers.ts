import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
/**
 * Helpers for the pool tests: real pools over real fixture modules, a logger that lets a test
 * await pool events ("worker thread started"), and the fixtures' BroadcastChannel, on which
 * handlers announce that they started and the test releases gated handlers. Nothing here waits
 * on time.
 */
import { BroadcastChannel } from 'node:worker_threads';
import {
  createPoolExecutor,
  type ExecRequest,
  type PoolExecutor,
  resolvePoolOptions,
} from '../../src/pool/index.ts';
import type { Clock } from '../../src/time/clock.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import type { Logger, ServiceOptions } from '../../src/types.ts';

export const fixture = (name: string): URL => new URL(`../fixtures/${name}`, import.meta.url);

interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

/** A pino-compatible logger that records entries and lets a test await one. */
export class LogTap implements Logger {
  readonly entries: LogEntry[] = [];
  #waiters: { msg: string; count: number; resolve: () => void }[] = [];

  info(obj: object, msg = ''): void {
    this.#add({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg = ''): void {
    this.#add({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg = ''): void {
    this.#add({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }

  count(msg: string): number {
    return this.entries.filter((e) => e.msg === msg).length;
  }

  /** Resolves once `msg` has been logged `count` times in total. */
  until(msg: string, count: number): Promise<void> {
    if (this.count(msg) >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ msg, count, resolve }));
  }

  /** Resolves once `test()` holds, checked now and after every log entry (pool events log). */
  when(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#checks.push({ test, resolve }));
  }

  #checks: { test: () => boolean; resolve: () => void }[] = [];

  #add(entry: LogEntry): void {
    this.entries.push(entry);
    this.#checks = this.#checks.filter((c) => {
      if (!c.test()) return true;
      c.resolve();
      return false;
    });
    this.#waiters = this.#waiters.filter((w) => {
      if (this.count(w.msg) < w.count) return true;
      w.resolve();
      return false;
    });
  }
}

export interface TestPool {
  readonly pool: PoolExecutor;
  readonly clock: ManualClock;
  readonly log: LogTap;
  call(handler: string, args?: readonly unknown[], extra?: Partial<ExecRequest>): Promise<unknown>;
}

/** A pool of `module` with a manual clock and a recording logger. */
export function makePool(
  module: string,
  options: ServiceOptions = {},
  clock: Clock = new ManualClock(0),
): TestPool {
  const resolved = resolvePoolOptions({ worker: fixture(module), ...options }, 'options');
  if (resolved === undefined) throw new Error('no worker');
  const log = new LogTap();
  const pool = createPoolExecutor('test', resolved, { clock, logger: log });
  return {
    pool,
    clock: clock as ManualClock,
    log,
    call: (handler, args = [], extra = {}) =>
      pool.call({ handler, args, timeoutMs: 0, signal: undefined, transferList: undefined, ...extra }),
  };
}

/** The fixtures' channel: handlers announce `{ tag, event }`; the test sends `{ release: tag }`. */
export class Bus {
  readonly #channel = new BroadcastChannel('breakwater-test');
  readonly #seen: { tag: string; event: string }[] = [];
  #waiters: { tag: string; event: string; resolve: () => void }[] = [];

  constructor() {
    this.#channel.onmessage = (message: unknown) => {
      const data = (message as { data?: { tag?: unknown; event?: unknown } }).data;
      if (typeof data?.tag !== 'string' || typeof data.event !== 'string') return;
      this.#seen.push({ tag: data.tag, event: data.event });
      this.#waiters = this.#waiters.filter((w) => {
        if (w.tag !== data.tag || w.event !== data.event) return true;
        w.resolve();
        return false;
      });
    };
  }

  /** Resolves when a handler announced `event` for `tag` (now or earlier). */
  when(tag: string, event = 'started'): Promise<void> {
    if (this.#seen.some((s) => s.tag === tag && s.event === event)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ tag, event, resolve }));
  }

  /** Whether a handler announced `event` for `tag` so far. */
  saw(tag: string, event = 'started'): boolean {
    return this.#seen.some((s) => s.tag === tag && s.event === event);
  }

  release(tag: string): void {
    this.#channel.postMessage({ release: tag });
  }

  close(): void {
    this.#channel.close();
  }
}

/** The settled outcome of a promise, for asserting on rejections without try/catch. */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The `code` of a rejection (fails the test if `p` fulfils). */
export async function codeOf(p: Promise<unknown>): Promise<unknown> {
  const r = await outcome(p);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.value)}`);
  return (r.error as { code?: unknown }).code;
}

/**
 * Releases a thread blocked in `blockOnFifo` (test/fixtures/handlers.ts) by writing one byte.
 * Non-blocking: when no thread holds the FIFO open this throws (ENXIO) instead of hanging the test.
 */
export function releaseFifo(path: string): void {
  const writer = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    writeSync(writer, Buffer.from([1]));
  } finally {
    closeSync(writer);
  }
}

/**
 * Resolves once the thread that runs `blockOnFifo(tag, path)` is inside its read() of the FIFO,
 * as the kernel reports it (`/proc/self/task/<tid>/wchan`). Its "started" message comes a moment
 * before the system call; a timeout in that moment would terminate a thread that is not stuck at
 * all. No event tells this, so the kernel's state is re-read once per event-loop turn, bounded.
 */
export async function untilBlockedInRead(path: string): Promise<void> {
  const tid = readFileSync(`${path}.tid`, 'utf8').trim();
  for (let turn = 0; turn < 100_000; turn++) {
    if (/pipe/.test(readFileSync(`/proc/self/task/${tid}/wchan`, 'utf8'))) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`thread ${tid} never blocked in read() of ${path}`);
}

/**
 * The pool configurations every isolation test runs in: one call per message, several calls
 * sharing a thread, and batching.
 */
export const MODES: readonly {
  readonly mode: string;
  readonly options: ServiceOptions;
  /** Several calls run on one thread at once in this mode. */
  readonly shared: boolean;
}[] = [
  { mode: 'per-call', options: {}, shared: false },
  { mode: 'concurrentTasksPerWorker 4', options: { concurrentTasksPerWorker: 4 }, shared: true },
  { mode: 'batching', options: { batching: true }, shared: true },
];
