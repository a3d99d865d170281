/**
 * What a call's timers and its caller's abort mean when they fire (the `CallOwner` of every call
 * of a pool): its queue timeout (time in our queue and in a thread's inbox), its run timeout
 * (counted from when its handler starts), its abort grace, the pool's close. Each settles only its
 * own call. This decides; the dispatcher, which armed the timers, settles.
 */
import { AbortedError, CallTimeoutError, QueueTimeoutError, SupervisorClosedError } from '../errors.ts';
import type { CallOwner, PoolCall, SlotTable } from './call.ts';
import type { Retirement } from './retirement.ts';

/** How the dispatcher settles a call before its thread is done with it. */
export interface Settler {
  /** Settles a call still in the wait queue; it leaves the queue. */
  settleQueued(call: PoolCall, error: unknown): void;
  /** Settles a call a thread has: withdrawn if it has not begun, else overdue for the abort grace. */
  settleSent(call: PoolCall, error: unknown): void;
  /** Settles a call taken back before its thread began it (its start mark says withdrawn). */
  withdrawn(call: PoolCall, error: unknown): void;
}

export interface CallTimersConfig {
  readonly service: string;
  readonly queueTimeoutMs: number;
  readonly slots: SlotTable;
  readonly retirement: Retirement;
  readonly settler: Settler;
}

export class CallTimers implements CallOwner {
  readonly #c: CallTimersConfig;

  constructor(config: CallTimersConfig) {
    this.#c = config;
  }

  expired(call: PoolCall): void {
    if (call.phase !== 'sent') return;
    if (call.overdue) {
      // The handler ignored its abort for the whole grace: its thread takes no more calls.
      const lane = call.lane;
      if (lane !== undefined) this.#c.retirement.retire(lane);
      return;
    }
    // Still in its thread's inbox (or began late and the notice is on its way): its run time
    // has not begun; the `began` notice arms it. (If the notice can't come because the thread is
    // stuck, the watchdog times the call out: watchdog.ts.)
    const slots = this.#c.slots;
    if (!call.began && !slots.startedOnArrival(call)) {
      if (slots.hasStarted(call)) call.awaitingBegan = true;
      return;
    }
    this.#c.settler.settleSent(call, new CallTimeoutError(this.#c.service, call.timeoutMs));
  }

  queueExpired(call: PoolCall): void {
    if (call.settled) return;
    const error = (): QueueTimeoutError => new QueueTimeoutError(this.#c.service, this.#c.queueTimeoutMs);
    if (call.phase === 'queued') this.#c.settler.settleQueued(call, error());
    else if (call.phase === 'sent' && this.#c.slots.withdraw(call)) {
      // Waited in the inbox past its queue time: it will never run.
      this.#c.settler.withdrawn(call, error());
    }
  }

  shutdown(call: PoolCall): void {
    call.fail(new SupervisorClosedError(this.#c.service));
  }

  aborted(call: PoolCall): void {
    if (call.settled) return;
    const error = new AbortedError(this.#c.service);
    if (call.phase === 'queued') this.#c.settler.settleQueued(call, error);
    else this.#c.settler.settleSent(call, error);
  }
}
