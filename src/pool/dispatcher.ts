/**
 * The dispatcher owns a pool's calls once admitted: the wait queue, sending to a lane as room
 * frees up, arming a call's timers (queue wait; run timeout from when its handler starts; abort
 * grace) and its abort listener, and the one settlement its outcome maps to (call-timers.ts says
 * what a timer or an abort that fires means for its call).
 *
 * One call's fault never settles another. A timeout or an abort settles its own caller at once,
 * aborts the signal in the worker, and leaves the call "overdue" on its thread for the abort
 * grace; a handler that honours the signal frees the slot, one that ignores it gets the thread
 * retired (retirement.ts). A call keeps its slot until its thread is done with it or gone, so an
 * abandoned call never lets more calls in than the threads can take.
 */
import { CallTimeoutError, NotCloneableError, UnknownHandlerError } from '../errors.ts';
import { isDataCloneError } from '../serialization/cloneable.ts';
import { deserializeError, type SerializedThrown } from '../serialization/errors.ts';
import type { DeadlineList, Deadlines } from '../time/deadlines.ts';
import { type PoolCall, QueueWait, type SlotTable, WaitQueue } from './call.ts';
import type { Settler } from './call-timers.ts';
import type { PoolHost } from './host.ts';
import type { LaneSink, Lanes } from './lanes.ts';
import { lostCallError } from './loss.ts';
import { Outcome } from './protocol.ts';

/** A call whose thread died before starting it goes back to the queue at most this often. */
const MAX_REQUEUES = 2;

export interface DispatcherConfig {
  readonly service: string;
  readonly host: PoolHost;
  readonly slots: SlotTable;
  readonly deadlines: Deadlines;
  readonly queueTimeoutMs: number;
  readonly abortGraceMs: number;
}

export class Dispatcher implements LaneSink, Settler {
  readonly queue = new WaitQueue();
  readonly slots: SlotTable;
  /** Only threads already up take calls (no thread is started while the pool drains). */
  draining = false;
  closed = false;
  /** Called when nothing is queued or held by a thread any more while draining. */
  onDrained: (() => void) | undefined;
  readonly #c: DispatcherConfig;
  readonly #queueDeadlines: DeadlineList | undefined;
  readonly #grace: DeadlineList;
  readonly #host: PoolHost;
  #lanes!: Lanes;

  constructor(config: DispatcherConfig) {
    this.#c = config;
    this.slots = config.slots;
    this.#host = config.host;
    this.#queueDeadlines =
      config.queueTimeoutMs > 0 ? config.deadlines.list(config.queueTimeoutMs) : undefined;
    this.#grace = config.deadlines.list(config.abortGraceMs);
  }

  attach(lanes: Lanes): void {
    this.#lanes = lanes;
  }

  /** Could a call be sent to a thread right now? */
  canSend(): boolean {
    return this.slots.used < this.slots.capacity && this.#lanes.pick() !== undefined;
  }

  /** Starts an admitted call: to a thread at once when `now`, else into the queue. */
  admit(call: PoolCall, now: boolean): void {
    this.#watch(call);
    if (now) this.#send(call);
    else {
      this.queue.push(call);
      this.pump();
    }
  }

  /** Fails every queued call with `error()` (load failure, close). */
  failQueued(error: () => unknown): void {
    for (let call = this.queue.head; call !== null; call = this.queue.head) this.settleQueued(call, error());
  }

  /** Settles every call a thread has with `error()`; their slots free up as the threads let go. */
  failSent(error: () => unknown): void {
    for (const call of this.slots.calls) if (call !== undefined) this.settleSent(call, error());
  }

  pump(): void {
    const lanes = this.#lanes;
    while (this.queue.head !== null) {
      const lane = this.slots.used < this.slots.capacity ? lanes.pick() : undefined;
      if (lane === undefined) break;
      this.#send(this.queue.shift()!, lane);
    }
    if (this.closed) return;
    const gen = this.draining ? undefined : this.#host.current();
    if (gen !== undefined) lanes.grow(gen, this.queue.size);
    if (this.draining && this.queue.size === 0 && this.slots.used === 0) this.onDrained?.();
  }

  #send(call: PoolCall, lane = this.#lanes.pick()): void {
    if (lane === undefined) throw new Error('breakwater: send without a lane with room');
    this.slots.take(call);
    call.phase = 'sent';
    // Its run timeout counts from now; if the thread makes it wait in its inbox, a `began`
    // notice restarts it when the handler really starts.
    if (call.timeoutMs > 0) this.#c.deadlines.list(call.timeoutMs).add(call);
    this.#lanes.send(call, lane);
  }

  // ---------------------------------------------------------------- lane reports (LaneSink)

  began(call: PoolCall): void {
    call.began = true;
    call.awaitingBegan = false;
    if (call.settled || call.timeoutMs <= 0) return;
    if (call.dlList !== null) call.dlList.remove(call);
    this.#c.deadlines.list(call.timeoutMs).add(call);
  }

  expireNow(call: PoolCall): void {
    call.awaitingBegan = false;
    this.settleSent(call, new CallTimeoutError(this.#c.service, call.timeoutMs));
  }

  outcome(call: PoolCall, kind: Outcome, value: unknown): void {
    this.#finish(call);
    const service = this.#c.service;
    switch (kind) {
      case Outcome.Value:
        call.fulfil(value);
        break;
      case Outcome.Threw:
        call.fail(deserializeError(value as SerializedThrown));
        break;
      case Outcome.UnknownHandler:
        call.fail(new UnknownHandlerError(service, call.handler));
        break;
      case Outcome.LoadFailed: {
        const error = deserializeError(value as SerializedThrown);
        // The runtime's own notice travels on another port and may come later.
        this.#host.loadFailedIn(call.lane?.gen, error);
        call.fail(this.#host.loadFailureError(error));
        break;
      }
      case Outcome.NotCloneable:
        call.fail(new NotCloneableError(service, String(value), { direction: 'result' }));
        break;
      case Outcome.Skipped:
        break; // withdrawn: its caller already has its answer
    }
  }

  lost(call: PoolCall, error: unknown, culprit: PoolCall | undefined): void {
    const started = this.slots.hasStarted(call);
    const lane = call.lane;
    this.#finish(call);
    const service = this.#c.service;
    if (call.settled) {
      // Nothing to report: the caller already has its answer (timeout, abort, close).
    } else if (isDataCloneError(error)) {
      const why = `arguments of "${call.handler}" can't be sent to a worker: ${String(error)}`;
      call.fail(new NotCloneableError(service, why));
    } else if (
      !started &&
      !this.closed &&
      lane?.gen.stopReason === undefined &&
      call.requeues < MAX_REQUEUES
    ) {
      // It never ran: nothing to blame it for and nothing to repeat. Back to the front.
      call.requeues++;
      call.lane = undefined;
      call.began = false;
      call.phase = 'queued';
      this.queue.unshift(call);
    } else {
      this.#clearTimers(call);
      const c = culprit === undefined ? undefined : { handler: culprit.handler, error: culprit.error };
      call.fail(
        lostCallError(error, {
          service,
          thread: lane?.thread,
          generation: lane?.gen,
          loadError: this.#host.loadError,
          culprit: c,
        }),
      );
    }
  }

  reroute(call: PoolCall): void {
    const next = call.detach();
    this.#clearTimers(call);
    if (this.#lanes.cancel(call, true)) this.#finish(call);
    this.#watch(next);
    this.queue.unshift(next);
  }

  /** Listens for the caller's abort and starts the queue timeout of a call entering the pool. */
  #watch(call: PoolCall): void {
    if (call.signal !== undefined) {
      call.onAbort = () => call.owner.aborted(call);
      call.signal.addEventListener('abort', call.onAbort, { once: true });
    }
    if (this.#queueDeadlines !== undefined) {
      call.queueWait = new QueueWait(call);
      this.#queueDeadlines.add(call.queueWait);
    }
  }

  capacityChanged(): void {
    this.pump();
  }

  /** The thread is done with the call (or gone): its slot is free. */
  #finish(call: PoolCall): void {
    if (call.phase !== 'sent') return;
    if (call.dlList !== null) call.dlList.remove(call);
    if (call.overdue && call.lane !== undefined) call.lane.overdue--;
    call.overdue = false;
    this.#lanes.letGo(call);
    this.slots.release(call);
    call.phase = 'done';
    const lane = call.lane;
    if (lane !== undefined && lane.state === 'retiring') this.#lanes.retirement.finishRetiring(lane);
  }

  #clearTimers(call: PoolCall): void {
    if (call.dlList !== null) call.dlList.remove(call);
    const wait = call.queueWait;
    if (wait !== undefined && wait.dlList !== null) wait.dlList.remove(wait);
  }

  // ---------------------------------------------------------------- early settlement (Settler)

  settleQueued(call: PoolCall, error: unknown): void {
    this.queue.remove(call);
    this.#clearTimers(call);
    call.phase = 'done';
    call.fail(error);
  }

  /**
   * Settles a call a thread has (timeout, abort, close) without touching any other call: withdrawn
   * if it has not begun, otherwise its signal is aborted in the worker and it is overdue for the
   * abort grace. A thread whose event loop is stuck is terminated now.
   */
  settleSent(call: PoolCall, error: unknown): void {
    if (call.settled || call.phase !== 'sent') return;
    this.#clearTimers(call);
    if (this.slots.withdraw(call)) {
      this.withdrawn(call, error);
      return;
    }
    call.error = error;
    call.fail(error);
    const lane = call.lane;
    if (lane === undefined) return;
    call.overdue = true;
    lane.overdue++;
    this.#lanes.cancel(call, false);
    this.#grace.add(call);
    if (lane.stuck) this.#lanes.retirement.terminateStuck(lane, call);
    else if (lane.state === 'retiring') this.#lanes.retirement.finishRetiring(lane);
  }

  /** Settles a call taken back before its thread began it; the thread lets go of it at once. */
  withdrawn(call: PoolCall, error: unknown): void {
    this.#clearTimers(call);
    call.fail(error);
    if (this.#lanes.cancel(call, true)) {
      this.#finish(call);
      this.pump();
    }
  }
}
