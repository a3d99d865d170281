/**
 * How a lane stops taking calls. Retired (a handler ignored its abort past the grace, or the
 * thread's heartbeat stopped): calls it has not begun are withdrawn and run elsewhere, the others
 * run to their own deadlines, a replacement may start at once, and the thread is terminated once it
 * holds only overdue calls. Terminated at once when it is stuck holding an overdue call. Closed
 * when idle above threads.min. The dispatcher and the watchdog decide when; this acts.
 */
import type { PoolCall, SlotTable } from './call.ts';
import type { Lane, LaneSink } from './lane.ts';
import { LaneOp } from './protocol.ts';
import type { ThreadRegistry } from './thread-registry.ts';

export interface RetirementConfig {
  /** The lanes (lanes.ts's list: a lane closed here leaves it). */
  readonly lanes: Lane[];
  readonly slots: SlotTable;
  readonly sink: LaneSink;
  readonly threads: ThreadRegistry;
}

export class Retirement {
  readonly #c: RetirementConfig;
  /** Lanes retired so far. */
  count = 0;

  constructor(config: RetirementConfig) {
    this.#c = config;
  }

  /**
   * No new calls go to the lane; its calls run to their own deadlines, and its thread is
   * terminated once it holds only overdue calls. A replacement may start at once.
   */
  retire(lane: Lane): void {
    if (lane.state !== 'open' && lane.state !== 'opening') return;
    lane.state = 'retiring';
    this.count++;
    if (lane.thread !== undefined && lane.thread.life === 'ready') lane.thread.life = 'retiring';
    this.#c.threads.replacing();
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
    if (lane.thread !== undefined) this.#c.threads.terminate(lane.thread, 'retired');
  }

  /** A call on a stuck lane is overdue: the thread can't be saved, terminate it now. */
  terminateStuck(lane: Lane, culprit: PoolCall): void {
    if (lane.thread === undefined || lane.state === 'closed') return;
    if (lane.state !== 'retiring') this.retire(lane);
    lane.culprit ??= culprit;
    this.#c.threads.terminate(lane.thread, 'stuck');
  }

  /** Stops an idle lane's thread (the idle sweep: above threads.min, sent nothing for a while). */
  closeIdle(lane: Lane): void {
    lane.state = 'closed';
    const lanes = this.#c.lanes;
    const i = lanes.indexOf(lane);
    if (i >= 0) lanes.splice(i, 1);
    lane.port.postMessage({ t: LaneOp.Close });
    lane.port.close();
    if (lane.thread !== undefined) this.#c.threads.terminate(lane.thread, 'idle');
  }
}
