/**
 * The worker-side runtime: the file piscina loads in every thread of a breakwater pool.
 *
 * It imports the user's handler module once (its URL comes in `workerData`), then serves one lane:
 * piscina's task `lane` hands over a MessagePort, calls arrive many per message into an inbox,
 * at most `concurrency` run at once (fewer while they keep the loop saturated: workers/pacer.ts),
 * and results go back gathered per event-loop turn. Every
 * outcome goes back as data built by src/pool/protocol.ts: handler errors are serialized
 * explicitly, a missing export is ERR_UNKNOWN_HANDLER, a module that failed to load answers every
 * call with its load error. A call starts only if it wins its start mark (compare-and-swap against
 * the main thread's withdrawal), and a heartbeat in shared memory shows the main thread whether
 * the event loop still turns.
 */
import { performance } from 'node:perf_hooks';
import { type MessagePort, parentPort, threadId, workerData } from 'node:worker_threads';
import {
  Began,
  HEARTBEAT_MS,
  LaneOp,
  type LaneRequest,
  type LaneTask,
  Mark,
  Outcome,
  type RuntimeData,
  type RuntimeNotice,
} from '../src/pool/protocol.ts';
import { countImmediates, nativeSetImmediate, pendingImmediates } from './immediates.ts';
import { abortCall, invoke, loadHandlers, PENDING, syncKind } from './invoke.ts';
import { Pacer } from './pacer.ts';

const data = workerData as RuntimeData;
const marks = new Int32Array(data.marks);

const loaded = await loadHandlers(data.module);
if (loaded.ok) notify({ bw: 'loaded', threadId, handlers: loaded.names });
else notify({ bw: 'load-failed', threadId, error: loaded.error });

countImmediates();

function notify(notice: RuntimeNotice): void {
  parentPort?.postMessage(notice);
}

/**
 * A call began "late", and sends a `Began` notice so its run timeout restarts, when it waited in
 * the inbox for the thread's concurrency to free up, or began more than this long (ms) after it
 * was sent (the thread's event loop was busy, e.g. with a synchronous handler ahead of it).
 */
const LATE_MS = 50;
/** Makes this thread's performance.now() comparable with the main thread's. */
const origin = performance.timeOrigin;

/**
 * Serves the lane handed over by piscina's task, then returns at once (so piscina sees the thread
 * idle and never holds the process open for it).
 */
export function lane(task: LaneTask): void {
  const { port } = task;
  const limit = task.concurrency > 0 ? task.concurrency : Number.POSITIVE_INFINITY;
  const holdBack = task.concurrency > 0;
  const beat = new Int32Array(task.heartbeat);
  // Batching mode promises a batch runs in one turn: only a concurrency limit is paced.
  const pacer = holdBack && limit > 1 ? new Pacer(limit, marks.length) : undefined;
  /** Calls not started yet, flat: slot, handler, args, when sent, which message brought them. */
  let inbox: unknown[] = [];
  let head = 0;
  /** Calls running asynchronously. */
  let running = 0;
  /** Messages received; `serving` is the one being served as it arrives (-1: none). */
  let arrivals = 0;
  let serving = -1;
  let out: unknown[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    if (out.length === 0) return;
    const batch = out;
    out = [];
    try {
      port.postMessage(batch);
    } catch {
      // Outcomes were checked one by one; this is a value the check let through (or a batch too
      // big to send at once). Send each on its own so only the bad one turns into an error.
      for (let i = 0; i < batch.length; i += 3) postOne(port, batch[i] as number, batch[i + 1], batch[i + 2]);
    }
  };
  const later = (): void => {
    if (!scheduled) {
      scheduled = true;
      nativeSetImmediate(flush);
    }
  };
  const done = (slot: number, kind: Outcome, value: unknown): void => {
    running--;
    pacer?.ended(slot);
    out.push(slot, kind, value);
    pump();
    later();
  };
  const pump = (): void => {
    const cap = pacer === undefined ? limit : pacer.cap;
    while (running < cap && head < inbox.length) {
      const slot = inbox[head] as number;
      const name = inbox[head + 1] as string | null;
      const args = inbox[head + 2] as readonly unknown[];
      const late =
        inbox[head + 4] !== serving || origin + performance.now() - (inbox[head + 3] as number) > LATE_MS;
      head += 5;
      if (name === null) continue; // withdrawn, already answered
      const mark = late ? Mark.StartedLate : Mark.Started;
      if (Atomics.compareExchange(marks, slot, Mark.NotStarted, mark) !== Mark.NotStarted) {
        out.push(slot, Outcome.Skipped, undefined); // withdrawn by the main thread
        continue;
      }
      if (late) out.push(slot, Began, undefined);
      const value = invoke(slot, name, args, done);
      if (value === PENDING) {
        running++;
        pacer?.started(slot);
      } else {
        out.push(slot, syncKind, value);
        pacer?.ranSync();
      }
      if (pendingImmediates() > 0 && holdBack && head < inbox.length) {
        // The handler scheduled work for after this turn (maybe its thread's exit): the calls
        // behind it begin only after that ran, so an exit finds them not started. (Batching mode
        // promises that a batch runs in one turn, so there only a whole batch is held back.)
        defer();
        break;
      }
    }
    if (head === inbox.length) {
      inbox = [];
      head = 0;
    }
  };
  let deferred = false;
  const serve = (): void => {
    deferred = false;
    pump();
    // Synchronous results leave at once; async ones are gathered until the turn ends.
    if (!scheduled) flush();
  };
  const defer = (): void => {
    if (deferred) return;
    deferred = true;
    nativeSetImmediate(serve);
  };
  let loop = performance.eventLoopUtilization();
  const heartbeat = setInterval(() => {
    Atomics.add(beat, 0, 1);
    if (pacer === undefined) return;
    const now = performance.eventLoopUtilization();
    const beatLoop = performance.eventLoopUtilization(now, loop);
    loop = now;
    const cap = pacer.cap;
    pacer.tick(beatLoop.active, beatLoop.utilization, running, head < inbox.length);
    if (pacer.cap > cap) {
      pump();
      later();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  port.on('message', (message: LaneRequest) => {
    switch (message.t) {
      case LaneOp.Calls: {
        const c = message.c;
        const at = message.at;
        arrivals++;
        for (let i = 0; i < c.length; i += 3) inbox.push(c[i], c[i + 1], c[i + 2], at, arrivals);
        if (pendingImmediates() > 0) defer();
        else {
          serving = arrivals;
          serve();
          serving = -1;
        }
        return;
      }
      case LaneOp.Cancel: {
        const slot = message.s;
        if (Atomics.load(marks, slot) !== Mark.Withdrawn) {
          abortCall(slot);
          return;
        }
        // Withdrawn while in the inbox: let go of it now, so its slot frees up at once.
        for (let i = head; i < inbox.length; i += 5) {
          if (inbox[i] === slot && inbox[i + 1] !== null) {
            inbox[i + 1] = null;
            out.push(slot, Outcome.Skipped, undefined);
            later();
            break;
          }
        }
        return;
      }
      case LaneOp.Close:
        flush();
        clearInterval(heartbeat);
        port.close();
        return;
    }
  });
  port.postMessage({ hello: threadId });
}

function postOne(port: MessagePort, slot: number, kind: unknown, value: unknown): void {
  try {
    port.postMessage([slot, kind, value]);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it could not be cloned';
    port.postMessage([slot, Outcome.NotCloneable, `the result can't be sent to the main thread: ${why}`]);
  }
}
