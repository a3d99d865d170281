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
 * still turns (watchdog.ts), and a lane can be retired (no new calls; terminated once it holds
 * only overdue calls) or terminated at once when it is stuck with an overdue call (retirement.ts).
 */
import { receiveMessageOnPort } from 'node:worker_threads';
import type { Clock } from '../time/clock.ts';
import type { Scheduler } from '../time/scheduler.ts';
import type { PoolCall, SlotTable } from './call.ts';
import { Capacity } from './capacity.ts';
import { type BatchPolicy, Lane, type LaneSink, MAX_PREFETCH } from './lane.ts';
import { Began, LaneOp, type LaneReply, type Outcome } from './protocol.ts';
import { Retirement } from './retirement.ts';
import type { ThreadRegistry } from './thread-registry.ts';
import type { Generation, ThreadState } from './threads.ts';
import { ThreadWatch } from './watchdog.ts';

export { type BatchPolicy, Lane, type LaneSink, type LaneState, MAX_PREFETCH } from './lane.ts';

export interface LanesConfig {
  readonly sink: LaneSink;
  readonly threads: ThreadRegistry;
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
  #flushSoon = false;
  #flushLater = false;
  #busy = 0;
  readonly #watch: ThreadWatch;
  /** What the lanes hold (admission, metrics, the idle sweep). */
  readonly capacity: Capacity;
  /** Lanes that stop taking calls (retired, stuck, idle). */
  readonly retirement: Retirement;

  constructor(config: LanesConfig) {
    this.#c = config;
    const p = config.policy;
    this.#limit = p.kind === 'batched' ? 2 * p.maxBatch : p.concurrency;
    this.#maxBatch = p.kind === 'batched' ? p.maxBatch : MAX_PREFETCH;
    this.capacity = new Capacity(this.all, this.#limit, config.maxThreads, p.kind === 'batched');
    this.retirement = new Retirement({
      lanes: this.all,
      slots: config.slots,
      sink: config.sink,
      threads: config.threads,
    });
    this.#watch = new ThreadWatch({
      lanes: this,
      retirement: this.retirement,
      slots: config.slots,
      sink: config.sink,
      minThreads: config.minThreads,
      idleTimeoutMs: config.idleTimeoutMs,
      clock: config.clock,
      scheduler: config.scheduler,
    });
  }

  /** Slots the pool needs: every accepting lane full, and as many again held by retiring ones. */
  static slotsNeeded(policy: BatchPolicy, maxThreads: number): number {
    const perLane = policy.kind === 'batched' ? 2 * policy.maxBatch : policy.concurrency + MAX_PREFETCH;
    return 2 * maxThreads * perLane;
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
      if (this.#busy++ === 0) this.#watch.start();
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
      if (--this.#busy === 0) this.#watch.stop();
      if (lane.state === 'open') this.#watch.armSweep();
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

  threadExited(thread: ThreadState): void {
    const lane = thread.lane as Lane | undefined;
    if (lane === undefined) return;
    // The lane's piscina task ended long ago: say how the thread ended in piscina's words.
    this.#lost(lane, thread.error ?? new Error(`worker exited with code: ${thread.exitCode}`));
  }

  close(): void {
    this.#watch.close();
    for (const lane of [...this.all]) {
      lane.state = 'closed';
      lane.port.close();
    }
    this.all.length = 0;
  }

  // ---------------------------------------------------------------- internals

  #roomOf(lane: Lane): number {
    return this.#c.policy.kind === 'batched' ? this.#limit : this.#limit + lane.prefetch;
  }

  #open(gen: Generation): void {
    const concurrency = this.#c.policy.kind === 'batched' ? 0 : this.#c.policy.concurrency;
    const { lane, task } = Lane.open(gen, concurrency);
    this.all.push(lane);
    // Held while its thread starts (calls may be waiting for it), let go once open and idle.
    lane.port.on('message', (reply: LaneReply) => this.#onReply(lane, reply));
    gen.piscina.run(task, { name: 'lane', transferList: [task.port] }).then(
      () => {},
      (error: unknown) => this.#lost(lane, error),
    );
  }

  #onReply(lane: Lane, reply: LaneReply): void {
    if (!Array.isArray(reply)) {
      if (lane.state === 'opening') lane.state = 'open';
      if (lane.inFlight === 0) lane.port.unref();
      lane.lastBeatAt = performance.now();
      this.#watch.armSweep();
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
    if (finished > 0 && this.#c.policy.kind === 'adaptive') lane.measure(finished);
    sink.capacityChanged();
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
      if (--this.#busy === 0) this.#watch.stop();
    }
    this.#c.sink.capacityChanged();
  }

  /** A call postMessage refused (passed to every flush, so none allocates a callback). */
  readonly #refused = (call: PoolCall, error: unknown): void => this.#c.sink.lost(call, error, undefined);

  readonly #flush = (): void => {
    this.#flushSoon = false;
    this.#flushLater = false;
    for (const lane of this.all) if (lane.pending.length > 0) lane.flush(this.#maxBatch, this.#refused);
  };
}
