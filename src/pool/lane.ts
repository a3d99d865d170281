/**
 * One lane: the MessagePort to one thread, the piscina task that hands the port's other end to a
 * thread of its own, what it holds (calls in flight, withdrawn, overdue, this turn's batch), its
 * adaptive prefetch and its heartbeat. lanes.ts moves lanes through their states; the policies and
 * the sink are the lanes' contract with the dispatcher.
 */
import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { isDataCloneError } from '../serialization/cloneable.ts';
import type { PoolCall } from './call.ts';
import type { PlaceLane } from './host.ts';
import { LaneOp, type LaneTask, type Outcome } from './protocol.ts';
import type { Generation, ThreadState } from './threads.ts';

/** Where a lane's piscina task carries its lane, for placeLane. */
const kLane: symbol = Piscina.queueOptionsSymbol;

/** Prefetch beyond `concurrentTasksPerWorker`: at most this many calls wait in one inbox. */
export const MAX_PREFETCH = 512;
/** The prefetch covers about this much of the thread's work (ms). */
const PREFETCH_WINDOW_MS = 5;

export type BatchPolicy =
  | { readonly kind: 'adaptive'; readonly concurrency: number }
  | { readonly kind: 'batched'; readonly maxBatch: number };

/** What the dispatcher hears from the lanes. */
export interface LaneSink {
  outcome(call: PoolCall, kind: Outcome, value: unknown): void;
  /** The worker began a call that waited in its inbox: its run timeout starts now. */
  began(call: PoolCall): void;
  /** The call's thread is gone (or the call could not be sent). */
  lost(call: PoolCall, error: unknown, culprit: PoolCall | undefined): void;
  /** A call past its run timeout whose `began` notice can't arrive (its thread is stuck). */
  expireNow(call: PoolCall): void;
  /** The call's thread retired before beginning it (it has been withdrawn): run it elsewhere. */
  reroute(call: PoolCall): void;
  /** Room for more calls (a lane opened, results came back, a lane went away). */
  capacityChanged(): void;
}

export type LaneState = 'opening' | 'open' | 'retiring' | 'closed';

/** One lane per thread: a thread that has one (or is on its way out) is never picked again. */
export const placeLane: PlaceLane = (task, workers, gen, threads) => {
  const lane = (task as unknown as Record<symbol, Lane | null | undefined>)[kLane];
  if (lane === null || lane === undefined) return null;
  for (const w of workers) {
    if (w.id < 0) continue; // exited, about to be dropped by piscina
    const t = threads.thread(w.id, gen);
    if (t.lane !== undefined || (t.life !== 'starting' && t.life !== 'ready')) continue;
    t.lane = lane;
    lane.thread = t;
    return w;
  }
  return null;
};

export class Lane {
  readonly port: MessagePort;
  readonly gen: Generation;
  readonly beat: Int32Array;
  thread: ThreadState | undefined;
  state: LaneState = 'opening';
  /** Calls holding a slot on this lane (sent, not let go). */
  inFlight = 0;
  /** Of those, calls withdrawn before they began (the thread is letting go of them). */
  withdrawn = 0;
  /** Of those, calls settled past their deadline or aborted while running (in their grace). */
  overdue = 0;
  /** Calls of this turn not sent yet. */
  pending: PoolCall[] = [];
  /** Calls sent since the last idle sweep. */
  uses = 0;
  /** Calls beyond the thread's concurrency it may hold (adaptive policy). */
  prefetch = 1;
  /** Average ms per finished call while busy (adaptive policy). */
  msPerCall = 0;
  busySince = 0;
  lastBeat = 0;
  lastBeatAt = 0;
  /** Its heartbeat stopped while it had calls. */
  stuck = false;
  /** The overdue call it was terminated for, named in the errors of the calls lost with it. */
  culprit: PoolCall | undefined;

  constructor(port: MessagePort, gen: Generation, heartbeat: SharedArrayBuffer) {
    this.port = port;
    this.gen = gen;
    this.beat = new Int32Array(heartbeat);
  }

  /** A new lane, and the piscina task that hands its thread the port's other end and the heartbeat. */
  static open(gen: Generation, concurrency: number): { lane: Lane; task: LaneTask } {
    const { port1, port2 } = new MessageChannel();
    const heartbeat = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const lane = new Lane(port1, gen, heartbeat);
    const task: LaneTask & Record<symbol, Lane> = { port: port2, concurrency, heartbeat, [kLane]: lane };
    return { lane, task };
  }

  /** Sends this turn's calls, `maxBatch` per message; `lost` gets those postMessage refuses. */
  flush(maxBatch: number, lost: (call: PoolCall, error: unknown) => void): void {
    const calls = this.pending;
    this.pending = [];
    for (let from = 0; from < calls.length; from += maxBatch) {
      this.#post(from === 0 && calls.length <= maxBatch ? calls : calls.slice(from, from + maxBatch), lost);
    }
  }

  #post(calls: PoolCall[], lost: (call: PoolCall, error: unknown) => void): void {
    const flat: unknown[] = [];
    let transfer: TransferListItem[] | undefined;
    for (const call of calls) {
      if (call.slot < 0) continue;
      flat.push(call.slot, call.handler, call.args);
      if (call.transferList !== undefined) {
        transfer ??= [];
        transfer.push(...call.transferList);
      }
    }
    if (flat.length === 0) return;
    try {
      const at = performance.timeOrigin + performance.now();
      this.port.postMessage({ t: LaneOp.Calls, c: flat, at }, transfer as never);
    } catch (error) {
      if (!isDataCloneError(error) || calls.length === 1) {
        for (const call of calls) lost(call, error);
        return;
      }
      // One call the cheap check let through spoils the batch: send each alone.
      for (const call of calls) this.#post([call], lost);
    }
  }

  /** Sizes the prefetch from how fast the thread finishes calls while busy. */
  measure(finished: number): void {
    const now = performance.now();
    const per = (now - this.busySince) / finished;
    this.busySince = now;
    this.msPerCall = this.msPerCall === 0 ? per : 0.8 * this.msPerCall + 0.2 * per;
    const want = Math.floor(PREFETCH_WINDOW_MS / Math.max(this.msPerCall, 1e-6));
    this.prefetch = Math.min(MAX_PREFETCH, want);
  }
}
