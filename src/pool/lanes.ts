/**
 * The transport: one lane (a MessagePort, handed over by a piscina task) per thread, in every
 * mode. Calls sent to a lane in one turn leave as one message; results come back gathered per
 * turn. The two modes are two batch policies behind the same lanes:
 *
 * - adaptive (the default): a call its thread can begin at once leaves at the end of the current
 *   microtask checkpoint, so one call in flight pays no extra turn; a lane holds
 *   `concurrentTasksPerWorker` calls plus a prefetch sized from how fast the thread has been
 *   finishing calls (about 5 ms of work, at most 512 calls), which leave at the end of the turn,
 *   so fast handlers get batching's throughput and slow ones don't wait behind each other;
 * - batched (`batching: true`): a batch leaves once the turn ends (setImmediate), up to `maxBatch`
 *   calls per message, and the thread starts calls as they arrive.
 *
 * Lanes also watch their threads: a heartbeat in shared memory says whether a thread's event loop
 * still turns, and a lane can be retired (no new calls; terminated once it holds only overdue
 * calls) or terminated at once when it is stuck with an overdue call.
 */
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  type TransferListItem,
} from 'node:worker_threads';
import { Piscina } from 'piscina';
import { isDataCloneError } from '../serialization/cloneable.ts';
import type { Clock } from '../time/clock.ts';
import type { ScheduledTask, Scheduler } from '../time/scheduler.ts';
import type { PoolCall, SlotTable } from './call.ts';
import type { Balancer, PoolHost } from './host.ts';
import { Began, HEARTBEAT_MS, LaneOp, type LaneReply, type LaneTask, type Outcome } from './protocol.ts';
import { type Generation, STUCK_AFTER_MS, type ThreadState } from './threads.ts';

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
}

export interface LanesConfig {
  readonly sink: LaneSink;
  readonly slots: SlotTable;
  readonly policy: BatchPolicy;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
}

export class Lanes {
  readonly #c: LanesConfig;
  readonly #limit: number;
  readonly #maxBatch: number;
  readonly all: Lane[] = [];
  #host!: PoolHost;
  #flushSoon = false;
  #flushLater = false;
  #busy = 0;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #sweep: ScheduledTask | undefined;
  retirements = 0;

  constructor(config: LanesConfig) {
    this.#c = config;
    const p = config.policy;
    this.#limit = p.kind === 'batched' ? 2 * p.maxBatch : p.concurrency;
    this.#maxBatch = p.kind === 'batched' ? p.maxBatch : MAX_PREFETCH;
  }

  /** Slots the pool needs: every accepting lane full, and as many again held by retiring ones. */
  static slotsNeeded(policy: BatchPolicy, maxThreads: number): number {
    const perLane = policy.kind === 'batched' ? 2 * policy.maxBatch : policy.concurrency + MAX_PREFETCH;
    return 2 * maxThreads * perLane;
  }

  attach(host: PoolHost): void {
    this.#host = host;
  }

  /** One lane per thread: a thread that has one (or is on its way out) is never picked again. */
  readonly balancer: Balancer = (task, workers) => {
    const lane = (task as unknown as Record<symbol, Lane | null | undefined>)[kLane];
    const gen = this.#host.generation;
    if (lane === null || lane === undefined || gen === undefined) return null;
    for (const w of workers) {
      if (w.id < 0) continue; // exited, about to be dropped by piscina
      const t = this.#host.thread(w.id, gen);
      if (t.lane !== undefined || (t.life !== 'starting' && t.life !== 'ready')) continue;
      t.lane = lane;
      lane.thread = t;
      return w;
    }
    return null;
  };

  /** Lanes that take (or will take) calls. */
  get accepting(): number {
    let n = 0;
    for (const lane of this.all) if (lane.state === 'opening' || lane.state === 'open') n++;
    return n;
  }

  get retiring(): number {
    let n = 0;
    for (const lane of this.all) if (lane.state === 'retiring') n++;
    return n;
  }

  /**
   * The lane for the next call: the least busy open lane below its concurrency; failing that, while
   * no thread is starting or could still start, the least busy one with prefetch room (the call
   * then waits in that thread's inbox rather than in our queue).
   */
  pick(): Lane | undefined {
    let best: Lane | undefined;
    let accepting = 0;
    let opening = false;
    for (const lane of this.all) {
      if (lane.state === 'opening') {
        opening = true;
        accepting++;
      }
      if (lane.state !== 'open' || lane.gen.stopReason !== undefined) continue;
      accepting++;
      if (best === undefined || lane.inFlight < best.inFlight) best = lane;
    }
    if (best === undefined || best.inFlight - best.withdrawn < this.#limit) return best;
    // No inbox behind a call that is past its deadline: that thread may be about to retire.
    if (opening || accepting < this.#c.maxThreads || best.overdue > 0) return undefined;
    if (best.inFlight - best.withdrawn >= this.#roomOf(best)) return undefined;
    return best;
  }

  /**
   * Opens a lane (a thread) to keep threads.min, or for calls waiting in the queue (no more
   * starting at once than there are such calls), within threads.max.
   */
  grow(gen: Generation, queued: number): void {
    let accepting = 0;
    let opening = 0;
    for (const lane of this.all) {
      if (lane.state === 'opening') opening++;
      if (lane.state === 'opening' || lane.state === 'open') accepting++;
    }
    while (accepting < this.#c.maxThreads && (accepting < this.#c.minThreads || opening < queued)) {
      this.#open(gen);
      accepting++;
      opening++;
    }
  }

  send(call: PoolCall, lane: Lane): void {
    if (lane.inFlight++ === 0) {
      // A lane with nothing in flight lets the process exit; one with work keeps it alive, and
      // so does its thread (piscina unrefs it), so that a thread dying mid-call is still heard.
      lane.port.ref();
      lane.thread?.worker?.ref();
      lane.busySince = performance.now();
      if (this.#busy++ === 0) this.#startWatchdog();
    }
    lane.uses++;
    call.lane = lane;
    lane.pending.push(call);
    // A call its thread can begin at once leaves at the end of this microtask checkpoint; one that
    // will wait in the inbox anyway (and every call in batching mode) waits for the end of the
    // turn, so the calls issued as this turn's results settle travel together.
    if (this.#c.policy.kind === 'batched' || lane.inFlight > this.#limit) {
      if (!this.#flushLater) {
        this.#flushLater = true;
        setImmediate(this.#flush);
      }
    } else if (!this.#flushSoon) {
      this.#flushSoon = true;
      queueMicrotask(this.#flush);
    }
  }

  /** The thread is done with the call (or gone). */
  letGo(call: PoolCall): void {
    const lane = call.lane;
    if (lane === undefined) return;
    if (call.withdrawn) lane.withdrawn--;
    if (--lane.inFlight === 0) {
      if (lane.state !== 'closed') lane.port.unref();
      lane.thread?.worker?.unref();
      if (--this.#busy === 0) this.#stopWatchdog();
      if (lane.state === 'open') this.#armSweep();
    }
  }

  /**
   * The caller gave up on a call its thread has: abort its signal in the worker, or (`withdrawn`,
   * it had not begun) have the worker let go of it at once. A withdrawn call still in this turn's
   * batch is simply not sent: true then, and the dispatcher frees its slot itself.
   */
  cancel(call: PoolCall, withdrawn: boolean): boolean {
    const lane = call.lane;
    if (lane === undefined || lane.state === 'closed') return false;
    if (withdrawn) {
      const i = lane.pending.indexOf(call);
      if (i >= 0) {
        lane.pending.splice(i, 1);
        return true;
      }
      call.withdrawn = true;
      lane.withdrawn++;
    }
    lane.port.postMessage({ t: LaneOp.Cancel, s: call.slot });
    return false;
  }

  /** Calls sent beyond the threads' concurrency (waiting in an inbox), for the bulkhead. */
  prefetched(): number {
    let n = 0;
    for (const lane of this.all) {
      const held = lane.inFlight - lane.withdrawn;
      if (held > this.#limit) n += held - this.#limit;
    }
    return n;
  }

  /**
   * Calls the threads hold: `running` within each thread's concurrency (in transit or begun,
   * overdue ones included), `waiting` beyond it, in an inbox.
   */
  load(): { running: number; waiting: number } {
    let running = 0;
    let waiting = 0;
    for (const lane of this.all) {
      const held = lane.inFlight - lane.withdrawn;
      running += Math.min(held, this.#limit);
      waiting += Math.max(0, held - this.#limit);
    }
    return { running, waiting };
  }

  /**
   * Calls that could begin without waiting behind busy ones: free concurrency on open lanes, and
   * that of lanes starting or yet to start within threads.max.
   */
  idleCapacity(): number {
    let free = 0;
    let accepting = 0;
    for (const lane of this.all) {
      if (lane.state === 'opening') free += this.#limit;
      else if (lane.state === 'open' && lane.inFlight < this.#limit) free += this.#limit - lane.inFlight;
      if (lane.state === 'opening' || lane.state === 'open') accepting++;
    }
    return free + Math.max(0, this.#c.maxThreads - accepting) * this.#limit;
  }

  /**
   * No new calls go to the lane; its calls run to their own deadlines, and its thread is
   * terminated once it holds only overdue calls. A replacement may start at once.
   */
  retire(lane: Lane): void {
    if (lane.state !== 'open' && lane.state !== 'opening') return;
    lane.state = 'retiring';
    this.retirements++;
    if (lane.thread !== undefined && lane.thread.life === 'ready') lane.thread.life = 'retiring';
    this.#host.replacing();
    // Calls it has not begun go elsewhere (a call whose buffers were moved to it must stay).
    const slots = this.#c.slots;
    for (const call of slots.calls) {
      if (call === undefined || call.lane !== lane || call.settled || call.transferList !== undefined)
        continue;
      if (slots.withdraw(call)) this.#c.sink.reroute(call);
    }
    this.finishRetiring(lane);
    this.#c.sink.capacityChanged();
  }

  /** A retiring lane whose calls are all settled (overdue, or none) is terminated. */
  finishRetiring(lane: Lane): void {
    if (lane.state !== 'retiring') return;
    for (const call of this.#c.slots.calls) {
      if (call !== undefined && call.lane === lane && !call.settled) return;
    }
    if (lane.thread !== undefined) this.#host.terminate(lane.thread, 'retired');
  }

  /** A call on a stuck lane is overdue: the thread can't be saved, terminate it now. */
  terminateStuck(lane: Lane, culprit: PoolCall): void {
    if (lane.thread === undefined || lane.state === 'closed') return;
    if (lane.state !== 'retiring') this.retire(lane);
    lane.culprit ??= culprit;
    this.#host.terminate(lane.thread, 'stuck');
  }

  threadExited(thread: ThreadState): void {
    const lane = thread.lane as Lane | undefined;
    if (lane === undefined) return;
    // The lane's piscina task ended long ago: say how the thread ended in piscina's words.
    this.#lost(lane, thread.error ?? new Error(`worker exited with code: ${thread.exitCode}`));
  }

  close(): void {
    this.#stopWatchdog();
    if (this.#sweep !== undefined) this.#c.scheduler.cancel(this.#sweep);
    this.#sweep = undefined;
    for (const lane of [...this.all]) {
      lane.state = 'closed';
      lane.port.close();
    }
    this.all.length = 0;
  }

  /**
   * Fraction of the pool's capacity in use, 0..1: of threads.max x concurrentTasksPerWorker calls
   * running at once (batching mode: of threads.max threads with calls).
   */
  utilization(): number {
    const batched = this.#c.policy.kind === 'batched';
    let busy = 0;
    for (const lane of this.all) {
      if (lane.state !== 'open' && lane.state !== 'retiring') continue;
      const held = lane.inFlight - lane.withdrawn;
      busy += batched ? (held > 0 ? 1 : 0) : Math.min(this.#limit, held);
    }
    return Math.min(1, busy / (this.#c.maxThreads * (batched ? 1 : this.#limit)));
  }

  // ---------------------------------------------------------------- internals

  #roomOf(lane: Lane): number {
    return this.#c.policy.kind === 'batched' ? this.#limit : this.#limit + lane.prefetch;
  }

  #open(gen: Generation): void {
    const { port1, port2 } = new MessageChannel();
    const heartbeat = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
    const lane = new Lane(port1, gen, heartbeat);
    this.all.push(lane);
    // Held while its thread starts (calls may be waiting for it), let go once open and idle.
    port1.on('message', (reply: LaneReply) => this.#onReply(lane, reply));
    const concurrency = this.#c.policy.kind === 'batched' ? 0 : this.#c.policy.concurrency;
    const task: LaneTask & Record<symbol, Lane> = { port: port2, concurrency, heartbeat, [kLane]: lane };
    gen.piscina.run(task, { name: 'lane', transferList: [port2] }).then(
      () => {},
      (error: unknown) => this.#lost(lane, error),
    );
  }

  #onReply(lane: Lane, reply: LaneReply): void {
    if (!Array.isArray(reply)) {
      if (lane.state === 'opening') lane.state = 'open';
      if (lane.inFlight === 0) lane.port.unref();
      lane.lastBeatAt = performance.now();
      this.#armSweep();
      this.#c.sink.capacityChanged();
      return;
    }
    const calls = this.#c.slots.calls;
    const sink = this.#c.sink;
    let finished = 0;
    for (let i = 0; i < reply.length; i += 3) {
      const call = calls[reply[i] as number];
      if (call === undefined || call.lane !== lane) continue;
      const kind = reply[i + 1] as Outcome | typeof Began;
      if (kind === Began) sink.began(call);
      else {
        finished++;
        sink.outcome(call, kind, reply[i + 2]);
      }
    }
    if (finished > 0 && this.#c.policy.kind === 'adaptive') this.#measure(lane, finished);
    sink.capacityChanged();
  }

  /** Sizes the lane's prefetch from how fast its thread finishes calls while busy. */
  #measure(lane: Lane, finished: number): void {
    const now = performance.now();
    const per = (now - lane.busySince) / finished;
    lane.busySince = now;
    lane.msPerCall = lane.msPerCall === 0 ? per : 0.8 * lane.msPerCall + 0.2 * per;
    const want = Math.floor(PREFETCH_WINDOW_MS / Math.max(lane.msPerCall, 1e-6));
    lane.prefetch = Math.min(MAX_PREFETCH, want);
  }

  /** The lane's thread died: results it sent before dying still count; the rest are lost. */
  #lost(lane: Lane, error: unknown): void {
    if (lane.state === 'closed') return;
    const wasBusy = lane.inFlight > 0;
    lane.state = 'closed';
    const i = this.all.indexOf(lane);
    if (i >= 0) this.all.splice(i, 1);
    for (let m = receiveMessageOnPort(lane.port); m !== undefined; m = receiveMessageOnPort(lane.port)) {
      this.#onReply(lane, m.message as LaneReply);
    }
    lane.port.close();
    lane.pending = [];
    const culprit = lane.culprit;
    for (const call of this.#c.slots.calls) {
      if (call !== undefined && call.lane === lane) this.#c.sink.lost(call, error, culprit);
    }
    if (wasBusy && lane.inFlight > 0) {
      // Calls the dispatcher kept (none should be left): the lane no longer counts as busy.
      lane.inFlight = 0;
      if (--this.#busy === 0) this.#stopWatchdog();
    }
    this.#c.sink.capacityChanged();
  }

  readonly #flush = (): void => {
    this.#flushSoon = false;
    this.#flushLater = false;
    for (const lane of this.all) {
      if (lane.pending.length === 0) continue;
      const calls = lane.pending;
      lane.pending = [];
      for (let from = 0; from < calls.length; from += this.#maxBatch) {
        this.#send(
          lane,
          from === 0 && calls.length <= this.#maxBatch ? calls : calls.slice(from, from + this.#maxBatch),
        );
      }
    }
  };

  #send(lane: Lane, calls: PoolCall[]): void {
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
      lane.port.postMessage({ t: LaneOp.Calls, c: flat, at }, transfer as never);
    } catch (error) {
      if (!isDataCloneError(error) || calls.length === 1) {
        for (const call of calls) this.#c.sink.lost(call, error, undefined);
        return;
      }
      // One call the cheap check let through spoils the batch: send each alone.
      for (const call of calls) this.#send(lane, [call]);
    }
  }

  // ---------------------------------------------------------------- heartbeat watchdog

  #startWatchdog(): void {
    if (this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(this.#watch, HEARTBEAT_MS);
    this.#watchdog.unref();
  }

  #stopWatchdog(): void {
    if (this.#watchdog === undefined) return;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** Real time: a thread's heartbeat is real time, whatever clock the pool's deadlines use. */
  readonly #watch = (): void => {
    const now = performance.now();
    for (const lane of [...this.all]) {
      if (lane.state === 'opening' || lane.state === 'closed') continue;
      const beat = Atomics.load(lane.beat, 0);
      if (beat !== lane.lastBeat || lane.inFlight === 0) {
        lane.lastBeat = beat;
        lane.lastBeatAt = now;
        lane.stuck = false;
        continue;
      }
      if (lane.stuck || now - lane.lastBeatAt < STUCK_AFTER_MS) continue;
      lane.stuck = true;
      let overdue: PoolCall | undefined;
      for (const call of this.#c.slots.calls) {
        if (call === undefined || call.lane !== lane) continue;
        // Began late, past its deadline, its notice stuck in the thread: it is overdue now.
        if (call.awaitingBegan) this.#c.sink.expireNow(call);
        if (call.overdue) overdue ??= call;
      }
      // Stuck holding a call past its deadline: nothing on it can finish; otherwise its calls may
      // still finish in time, but no new ones go there.
      if (overdue !== undefined) this.terminateStuck(lane, overdue);
      else this.retire(lane);
    }
  };

  // ---------------------------------------------------------------- idle threads

  #armSweep(): void {
    const idle = this.#c.idleTimeoutMs;
    if (this.#sweep !== undefined || !Number.isFinite(idle) || this.accepting <= this.#c.minThreads) return;
    for (const lane of this.all) lane.uses = lane.inFlight;
    this.#sweep = this.#c.scheduler.schedule(this.#c.clock.now() + idle, this.#sweepIdle);
  }

  /** Retires lanes above threads.min that were sent nothing for a whole idleTimeoutMs. */
  readonly #sweepIdle = (): void => {
    this.#sweep = undefined;
    for (const lane of [...this.all]) {
      if (this.accepting <= this.#c.minThreads) break;
      if (lane.state !== 'open' || lane.inFlight > 0 || lane.uses > 0) continue;
      lane.state = 'closed';
      const i = this.all.indexOf(lane);
      if (i >= 0) this.all.splice(i, 1);
      lane.port.postMessage({ t: LaneOp.Close });
      lane.port.close();
      if (lane.thread !== undefined) this.#host.terminate(lane.thread, 'idle');
    }
    this.#armSweep();
  };
}
