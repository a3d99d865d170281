/**
 * What happens to a call once the pool has admitted it: the wait queue, dispatch to the engine
 * as slots free up, its two deadlines (queue wait, then run time from when it starts), aborts,
 * and the one settlement its outcome maps to. A call's slot is held until its thread is done with
 * it or gone, so an aborted or timed-out call never lets more calls in than the threads can take.
 */
import {
  AbortedError,
  CallTimeoutError,
  NotCloneableError,
  QueueTimeoutError,
  SupervisorClosedError,
  UnknownHandlerError,
  WorkerLoadError,
} from '../errors.ts';
import { isDataCloneError } from '../serialization/cloneable.ts';
import { deserializeError, type SerializedThrown } from '../serialization/errors.ts';
import type { Clock } from '../time/clock.ts';
import type { DeadlineList, Deadlines } from '../time/deadlines.ts';
import { type CallOwner, Phase, type PoolCall, type SlotTable, WaitQueue } from './call.ts';
import { lostCallError } from './classify.ts';
import type { Engine, EngineSink } from './engine.ts';
import type { PoolHost } from './host.ts';
import { Outcome } from './protocol.ts';

/** A call whose thread died before starting it goes back to the queue at most this often. */
const MAX_REQUEUES = 2;

export interface FlowConfig {
  readonly service: string;
  readonly clock: Clock;
  /** Slots, more than `threadSlots` when calls are handed over ahead of a free thread. */
  readonly slots: SlotTable;
  /** Calls the threads can run at once; slots beyond these hold calls waiting in piscina's queue. */
  readonly threadSlots: number;
  readonly deadlines: Deadlines;
  readonly queueTimeoutMs: number;
}

export class CallFlow implements CallOwner, EngineSink {
  readonly queue = new WaitQueue();
  readonly slots: SlotTable;
  /** Started and not finished. */
  running = 0;
  /** Handed to the engine, not started yet. */
  dispatched = 0;
  /** Only threads already up take calls (no thread is started while the pool drains). */
  draining = false;
  closed = false;
  /** Called when nothing is queued or running any more while draining. */
  onDrained: (() => void) | undefined;
  readonly #service: string;
  readonly #clock: Clock;
  readonly #deadlines: Deadlines;
  readonly #queueDeadlines: DeadlineList | undefined;
  readonly #queueTimeoutMs: number;
  readonly #threadSlots: number;
  #engine!: Engine;
  #host!: PoolHost;

  constructor(config: FlowConfig) {
    this.#service = config.service;
    this.#clock = config.clock;
    this.slots = config.slots;
    this.#threadSlots = config.threadSlots;
    this.#deadlines = config.deadlines;
    this.#queueTimeoutMs = config.queueTimeoutMs;
    this.#queueDeadlines =
      config.queueTimeoutMs > 0 ? config.deadlines.list(config.queueTimeoutMs) : undefined;
  }

  attach(engine: Engine, host: PoolHost): void {
    this.#engine = engine;
    this.#host = host;
  }

  /** Can a call go to a thread now (a free slot, and the engine has room)? */
  canDispatch(): boolean {
    return this.slots.used < this.slots.capacity && this.#engine.canDispatch(this.draining, this.dispatched);
  }

  /** Would a call dispatched now find a thread slot free (rather than wait in piscina's queue)? */
  hasThreadSlot(): boolean {
    return this.slots.used < this.#threadSlots;
  }

  /**
   * Calls waiting for a thread: in our queue, and handed to piscina ahead of a free thread (an
   * estimate from above: a settled call whose thread has not let go yet also holds a slot).
   */
  get waiting(): number {
    return this.queue.size + Math.max(0, this.slots.used - this.#threadSlots);
  }

  /** Starts an admitted call: to a thread at once when `now`, else into the queue. */
  admit(call: PoolCall, now: boolean): void {
    if (call.signal !== undefined) {
      call.onAbort = () => this.#abort(call);
      call.signal.addEventListener('abort', call.onAbort, { once: true });
    }
    if (now) this.#dispatch(call);
    else this.#enqueue(call);
  }

  /** Fails every queued call with `error()` (load failure, close). */
  failQueued(error: () => unknown): void {
    for (let call = this.queue.shift(); call !== null; call = this.queue.shift()) {
      if (call.dlList !== null) call.dlList.remove(call);
      call.phase = Phase.Done;
      call.fail(error());
    }
  }

  /** Settles every call a thread has with `error()`; their slots free up as the threads let go. */
  failHandedOver(error: () => unknown): void {
    for (const call of this.slots.calls) call?.fail(error());
  }

  pump(): void {
    while (this.queue.head !== null && this.canDispatch()) this.#dispatch(this.queue.shift()!);
    if (this.draining && this.queue.size === 0 && this.slots.used === 0) this.onDrained?.();
  }

  /** The error for calls that can't run because the module failed to load. */
  loadError(cause: unknown = this.#host.loadError): WorkerLoadError {
    const host = this.#host;
    const why = cause instanceof Error ? cause.message : String(cause);
    const wait = Math.max(0, host.retryAt - this.#clock.now());
    const attempt = host.loadFailures > 0 ? ` (attempt ${host.loadFailures}; next in ${wait} ms)` : '';
    return new WorkerLoadError(
      this.#service,
      `worker module of "${this.#service}" failed to load: ${why}${attempt}`,
      {
        cause,
      },
    );
  }

  #enqueue(call: PoolCall): void {
    call.phase = Phase.Queued;
    this.queue.push(call);
    if (this.#queueDeadlines !== undefined && call.dlList === null) this.#queueDeadlines.add(call);
  }

  #dispatch(call: PoolCall): void {
    const ahead = !this.hasThreadSlot();
    this.slots.take(call);
    call.phase = Phase.Dispatched;
    this.dispatched++;
    this.#engine.dispatch(call, ahead);
    // Still waiting for a thread (one is starting): the queue timeout keeps running.
    if (call.phase === Phase.Dispatched && !call.settled && call.dlList === null && this.#queueDeadlines) {
      this.#queueDeadlines.add(call);
    }
  }

  // ---------------------------------------------------------------- engine reports (EngineSink)

  started(call: PoolCall): void {
    if (call.dlList !== null) call.dlList.remove(call);
    call.phase = Phase.Running;
    this.dispatched--;
    this.running++;
    if (call.timeoutMs > 0 && !call.settled) this.#deadlines.list(call.timeoutMs).add(call);
  }

  outcome(call: PoolCall, kind: Outcome, value: unknown): void {
    this.#finish(call);
    switch (kind) {
      case Outcome.Value:
        call.fulfil(value);
        break;
      case Outcome.Threw:
        call.fail(deserializeError(value as SerializedThrown));
        break;
      case Outcome.UnknownHandler:
        call.fail(new UnknownHandlerError(this.#service, call.handler));
        break;
      case Outcome.LoadFailed: {
        const error = deserializeError(value as SerializedThrown);
        // The runtime's own notice travels on another port and may come later.
        this.#host.loadFailedIn(call.gen, error);
        call.fail(this.loadError(error));
        break;
      }
      case Outcome.NotCloneable:
        call.fail(new NotCloneableError(this.#service, String(value), { direction: 'result' }));
        break;
      case Outcome.Skipped:
        break;
    }
    this.pump();
  }

  lost(call: PoolCall, error: unknown): void {
    const started = this.slots.hasStarted(call);
    const { thread, gen } = call;
    this.#finish(call);
    if (call.settled) {
      // Nothing to report: the caller already has its answer (timeout, abort, close).
    } else if (isDataCloneError(error)) {
      const why = `arguments of "${call.handler}" can't be sent to a worker: ${String(error)}`;
      call.fail(new NotCloneableError(this.#service, why));
    } else if (!started && !this.closed && gen?.stopReason === undefined && call.requeues < MAX_REQUEUES) {
      // It never ran: nothing to blame it for and nothing to repeat. Back to the front.
      call.requeues++;
      call.thread = undefined;
      call.lane = undefined;
      call.phase = Phase.Queued;
      this.queue.unshift(call);
      if (this.#queueDeadlines !== undefined) this.#queueDeadlines.add(call);
    } else {
      const loadError = this.#host.loadError;
      call.fail(lostCallError(error, { service: this.#service, thread, generation: gen, loadError }));
    }
    this.pump();
  }

  capacityChanged(): void {
    this.pump();
  }

  /** The thread is done with the call (or gone): its slot is free. */
  #finish(call: PoolCall): void {
    if (call.phase === Phase.Done) return;
    if (call.dlList !== null) call.dlList.remove(call);
    if (call.phase === Phase.Running) {
      this.running--;
      this.#engine.finished(call);
    } else if (call.phase === Phase.Dispatched) {
      this.dispatched--;
    }
    this.slots.release(call);
    call.phase = Phase.Done;
    call.task = null;
    call.withdrawal = null;
  }

  // ---------------------------------------------------------------- timers and aborts (CallOwner)

  expired(call: PoolCall): void {
    switch (call.phase) {
      case Phase.Queued:
        this.queue.remove(call);
        call.phase = Phase.Done;
        call.fail(new QueueTimeoutError(this.#service, this.#queueTimeoutMs));
        return;
      case Phase.Dispatched:
        this.#engine.skip(call);
        call.fail(new QueueTimeoutError(this.#service, this.#queueTimeoutMs));
        return;
      case Phase.Running:
        if (!this.slots.hasStarted(call)) {
          // Still in its thread's inbox behind another call: its own time has not begun.
          this.#deadlines.list(call.timeoutMs).add(call);
          return;
        }
        call.fail(new CallTimeoutError(this.#service, call.timeoutMs));
        // The thread may be stuck in a loop: only terminating it really stops the handler.
        if (call.thread !== undefined) this.#host.terminate(call.thread);
        return;
    }
  }

  shutdown(call: PoolCall): void {
    call.fail(new SupervisorClosedError(this.#service));
  }

  #abort(call: PoolCall): void {
    if (call.settled) return;
    switch (call.phase) {
      case Phase.Queued:
        this.queue.remove(call);
        if (call.dlList !== null) call.dlList.remove(call);
        call.phase = Phase.Done;
        break;
      case Phase.Dispatched:
        this.#engine.skip(call);
        if (call.dlList !== null) call.dlList.remove(call);
        break;
      case Phase.Running:
        // Its run deadline stays: a handler that ignores the abort is still terminated on time.
        this.#engine.cancel(call);
        break;
    }
    call.fail(new AbortedError(this.#service));
    this.pump();
  }
}
