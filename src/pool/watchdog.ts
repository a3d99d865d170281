/**
 * Watches a pool's threads: the heartbeat watchdog (real time: a thread bumps an Int32 in shared
 * memory every HEARTBEAT_MS; one whose loop has not turned for STUCK_AFTER_MS while it holds calls
 * is stuck) and the idle sweep (threads above threads.min sent nothing for idleTimeoutMs stop).
 * It decides; retirement.ts acts (retire, terminate, close).
 */

import type { Clock } from '../time/clock.ts';
import type { ScheduledTask, Scheduler } from '../time/scheduler.ts';
import type { PoolCall, SlotTable } from './call.ts';
import type { Lane, LaneSink } from './lane.ts';
import type { Lanes } from './lanes.ts';
import { HEARTBEAT_MS } from './protocol.ts';
import type { Retirement } from './retirement.ts';
import { STUCK_AFTER_MS } from './threads.ts';

export interface WatchConfig {
  readonly lanes: Lanes;
  readonly retirement: Retirement;
  readonly slots: SlotTable;
  readonly sink: LaneSink;
  readonly minThreads: number;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
}

export class ThreadWatch {
  readonly #c: WatchConfig;
  #watchdog: ReturnType<typeof setInterval> | undefined;
  #sweep: ScheduledTask | undefined;

  constructor(config: WatchConfig) {
    this.#c = config;
  }

  /** Some lane holds calls: watch heartbeats. */
  start(): void {
    if (this.#watchdog !== undefined) return;
    this.#watchdog = setInterval(this.#watch, HEARTBEAT_MS);
    this.#watchdog.unref();
  }

  /** No lane holds calls. */
  stop(): void {
    if (this.#watchdog === undefined) return;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
  }

  close(): void {
    this.stop();
    if (this.#sweep !== undefined) this.#c.scheduler.cancel(this.#sweep);
    this.#sweep = undefined;
  }

  /** Real time: a thread's heartbeat is real time, whatever clock the pool's deadlines use. */
  readonly #watch = (): void => {
    const lanes = this.#c.lanes;
    const now = performance.now();
    for (const lane of [...lanes.all]) {
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
      const overdue = this.#overdueOn(lane);
      // Stuck holding a call past its deadline: nothing on it can finish; otherwise its calls may
      // still finish in time, but no new ones go there.
      if (overdue !== undefined) this.#c.retirement.terminateStuck(lane, overdue);
      else this.#c.retirement.retire(lane);
    }
  };

  /** The first overdue call on a stuck lane (a call whose `began` notice is stuck becomes one). */
  #overdueOn(lane: Lane): PoolCall | undefined {
    let overdue: PoolCall | undefined;
    for (const call of this.#c.slots.calls) {
      if (call === undefined || call.lane !== lane) continue;
      if (call.awaitingBegan) this.#c.sink.expireNow(call);
      if (call.overdue) overdue ??= call;
    }
    return overdue;
  }

  /** Starts the idle sweep when there are threads above threads.min. */
  armSweep(): void {
    const idle = this.#c.idleTimeoutMs;
    const lanes = this.#c.lanes;
    if (this.#sweep !== undefined || !Number.isFinite(idle) || lanes.capacity.accepting <= this.#c.minThreads)
      return;
    for (const lane of lanes.all) lane.uses = lane.inFlight;
    this.#sweep = this.#c.scheduler.schedule(this.#c.clock.now() + idle, this.#sweepIdle);
  }

  /** Stops lanes above threads.min that were sent nothing for a whole idleTimeoutMs. */
  readonly #sweepIdle = (): void => {
    this.#sweep = undefined;
    const lanes = this.#c.lanes;
    for (const lane of [...lanes.all]) {
      if (lanes.capacity.accepting <= this.#c.minThreads) break;
      if (lane.state === 'open' && lane.inFlight === 0 && lane.uses === 0) this.#c.retirement.closeIdle(lane);
    }
    this.armSweep();
  };
}
