/**
 * Batching mode. piscina's model is one task per message, and at ~35 µs per task that is about
 * 5% of what the thread boundary allows (raw postMessage: ~2 µs). Here each thread gets one
 * "lane": a MessagePort handed over by a piscina task (so piscina still spawns, replaces and
 * destroys the threads). Calls made in one event-loop turn go to a lane as one message, and the
 * worker streams results back, gathered per turn. Timeouts, aborts and crash accounting stay per
 * call: every call still has its own slot, deadline and "started" flag.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { isDataCloneError } from '../serialization/cloneable.ts';
import type { PoolCall, SlotTable } from './call.ts';
import type { Engine, EngineSink } from './engine.ts';
import type { Balancer, PoolHost } from './host.ts';
import { LaneOp, type LaneReply, type Outcome } from './protocol.ts';
import type { Generation, ThreadState } from './threads.ts';

const kLane: symbol = Piscina.queueOptionsSymbol;

class Lane {
  readonly port: MessagePort;
  readonly gen: Generation;
  thread: ThreadState | undefined;
  /** The worker said hello: calls may be sent. */
  open = false;
  gone = false;
  inFlight = 0;
  /** Calls of this turn not yet sent. */
  pending: PoolCall[] = [];

  constructor(port: MessagePort, gen: Generation) {
    this.port = port;
    this.gen = gen;
  }
}

export class LaneEngine implements Engine {
  readonly #sink: EngineSink;
  readonly #slots: SlotTable;
  readonly #maxBatch: number;
  /** Calls one lane may hold: two batches, so the worker has the next one while results travel. */
  readonly #limit: number;
  readonly #maxThreads: number;
  readonly #lanes: Lane[] = [];
  #host!: PoolHost;
  #flushScheduled = false;

  constructor(sink: EngineSink, slots: SlotTable, maxBatch: number, maxThreads: number) {
    this.#sink = sink;
    this.#slots = slots;
    this.#maxBatch = maxBatch;
    this.#limit = 2 * maxBatch;
    this.#maxThreads = maxThreads;
  }

  /** Calls the lanes of all threads may hold at once. */
  static capacity(maxBatch: number, maxThreads: number): number {
    return 2 * maxBatch * maxThreads;
  }

  attach(host: PoolHost): void {
    this.#host = host;
  }

  /** One lane per thread: a thread that has one is never picked again. */
  readonly balancer: Balancer = (task, workers) => {
    const lane = (task as unknown as Record<symbol, Lane | null | undefined>)[kLane];
    const gen = this.#host.generation;
    if (lane === null || lane === undefined || gen === undefined) return null;
    for (const w of workers) {
      if (w.id < 0) continue; // exited, about to be dropped by piscina
      const t = this.#host.thread(w.id, gen);
      if (t.lane !== undefined || t.killedFor !== undefined || t.exited) continue;
      t.lane = lane;
      lane.thread = t;
      return w;
    }
    return null;
  };

  canDispatch(draining: boolean): boolean {
    const gen = this.#host.current();
    if (gen === undefined) return false;
    let lanes = 0;
    for (const lane of this.#lanes) {
      if (this.#usable(lane)) return true;
      if (lane.gen === gen) lanes++;
    }
    if (!draining && lanes < this.#maxThreads) this.#openLane(gen);
    return false;
  }

  dispatch(call: PoolCall): void {
    let best: Lane | undefined;
    for (const lane of this.#lanes) {
      if (this.#usable(lane) && (best === undefined || lane.inFlight < best.inFlight)) {
        best = lane;
      }
    }
    if (best === undefined) throw new Error('breakwater: dispatch without an open lane');
    // A lane with nothing in flight lets the process exit; one with work keeps it alive.
    if (best.inFlight++ === 0) best.port.ref();
    call.lane = best;
    call.gen = best.gen;
    call.thread = best.thread;
    best.pending.push(call);
    this.#sink.started(call);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
  }

  finished(call: PoolCall): void {
    const lane = call.lane as Lane | undefined;
    if (lane !== undefined && --lane.inFlight === 0 && !lane.gone) lane.port.unref();
  }

  cancel(call: PoolCall): void {
    const lane = call.lane as Lane | undefined;
    if (lane !== undefined && !lane.gone) lane.port.postMessage({ t: LaneOp.Cancel, s: call.slot });
  }

  skip(): void {
    // Calls are only handed to open lanes: nothing waits between the queue and a thread.
  }

  threadExited(thread: ThreadState): void {
    const lane = thread.lane as Lane | undefined;
    if (lane === undefined) return;
    // The lane's piscina task ended long ago: say how the thread ended in piscina's words.
    this.#lost(lane, thread.error ?? new Error(`worker exited with code: ${thread.exitCode}`));
  }

  utilization(): number {
    let busy = 0;
    for (const lane of this.#lanes) if (lane.inFlight > 0) busy++;
    return busy / this.#maxThreads;
  }

  close(): void {
    for (const lane of [...this.#lanes]) {
      lane.gone = true;
      lane.port.close();
    }
    this.#lanes.length = 0;
  }

  /** Open, with room, on a thread we are not terminating, of a generation that is not stopping. */
  #usable(lane: Lane): boolean {
    return (
      lane.open &&
      lane.inFlight < this.#limit &&
      lane.gen.stopReason === undefined &&
      lane.thread?.killedFor === undefined
    );
  }

  #openLane(gen: Generation): void {
    const { port1, port2 } = new MessageChannel();
    const lane = new Lane(port1, gen);
    this.#lanes.push(lane);
    port1.on('message', (reply: LaneReply) => this.#onReply(lane, reply));
    port1.unref();
    const task = { port: port2, [kLane]: lane };
    gen.piscina.run(task, { name: 'lane', transferList: [port2] }).then(
      () => {},
      (error: unknown) => this.#lost(lane, error),
    );
  }

  #onReply(lane: Lane, reply: LaneReply): void {
    if (!Array.isArray(reply)) {
      lane.open = true;
      this.#sink.capacityChanged();
      return;
    }
    const calls = this.#slots.calls;
    for (let i = 0; i < reply.length; i += 3) {
      const call = calls[reply[i] as number];
      if (call !== undefined && call.lane === lane)
        this.#sink.outcome(call, reply[i + 1] as Outcome, reply[i + 2]);
    }
  }

  /** The lane's thread died: results it sent before dying still count; the rest are lost. */
  #lost(lane: Lane, error: unknown): void {
    if (lane.gone) return;
    lane.gone = true;
    const i = this.#lanes.indexOf(lane);
    if (i >= 0) this.#lanes.splice(i, 1);
    for (let m = receiveMessageOnPort(lane.port); m !== undefined; m = receiveMessageOnPort(lane.port)) {
      this.#onReply(lane, m.message as LaneReply);
    }
    lane.port.close();
    lane.pending = [];
    for (const call of this.#slots.calls)
      if (call !== undefined && call.lane === lane) this.#sink.lost(call, error);
    this.#sink.capacityChanged();
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    for (const lane of this.#lanes) {
      if (lane.pending.length === 0 || lane.gone) continue;
      const calls = lane.pending;
      lane.pending = [];
      for (let from = 0; from < calls.length; from += this.#maxBatch) {
        this.#send(lane, calls.slice(from, from + this.#maxBatch));
      }
    }
  };

  #send(lane: Lane, calls: PoolCall[]): void {
    const flat: unknown[] = [];
    let transfer: Transferable[] | undefined;
    for (const call of calls) {
      if (call.slot < 0) continue;
      flat.push(call.slot, call.settled ? '' : call.handler, call.args);
      if (call.transferList !== undefined) {
        transfer ??= [];
        transfer.push(...call.transferList);
      }
    }
    try {
      lane.port.postMessage({ t: LaneOp.Calls, c: flat }, transfer as never);
    } catch (error) {
      if (!isDataCloneError(error) || calls.length === 1) {
        for (const call of calls) this.#sink.lost(call, error);
        return;
      }
      // One call the cheap check let through spoils the batch: send each alone.
      for (const call of calls) this.#send(lane, [call]);
    }
  }
}
