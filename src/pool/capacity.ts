/**
 * What the lanes hold, for admission (the bulkhead), metrics and the idle sweep: read-only views
 * over the lanes, never on a call's hot path.
 */
import type { Lane } from './lane.ts';

export class Capacity {
  readonly #lanes: readonly Lane[];
  /** Calls one thread runs at once (batching mode: the lane's limit). */
  readonly #limit: number;
  readonly #maxThreads: number;
  readonly #batched: boolean;

  constructor(lanes: readonly Lane[], limit: number, maxThreads: number, batched: boolean) {
    this.#lanes = lanes;
    this.#limit = limit;
    this.#maxThreads = maxThreads;
    this.#batched = batched;
  }

  /** Lanes that take (or will take) calls. */
  get accepting(): number {
    let n = 0;
    for (const lane of this.#lanes) if (lane.state === 'opening' || lane.state === 'open') n++;
    return n;
  }

  get retiring(): number {
    let n = 0;
    for (const lane of this.#lanes) if (lane.state === 'retiring') n++;
    return n;
  }

  /** Calls sent beyond the threads' concurrency (waiting in an inbox), for the bulkhead. */
  prefetched(): number {
    let n = 0;
    for (const lane of this.#lanes) {
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
    for (const lane of this.#lanes) {
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
    for (const lane of this.#lanes) {
      if (lane.state === 'opening') free += this.#limit;
      else if (lane.state === 'open' && lane.inFlight < this.#limit) free += this.#limit - lane.inFlight;
      if (lane.state === 'opening' || lane.state === 'open') accepting++;
    }
    return free + Math.max(0, this.#maxThreads - accepting) * this.#limit;
  }

  /**
   * Fraction of the pool's capacity in use, 0..1: of threads.max x concurrentTasksPerWorker calls
   * running at once (batching mode: of threads.max threads with calls).
   */
  utilization(): number {
    const batched = this.#batched;
    let busy = 0;
    for (const lane of this.#lanes) {
      if (lane.state !== 'open' && lane.state !== 'retiring') continue;
      const held = lane.inFlight - lane.withdrawn;
      busy += batched ? (held > 0 ? 1 : 0) : Math.min(this.#limit, held);
    }
    return Math.min(1, busy / (this.#maxThreads * (batched ? 1 : this.#limit)));
  }
}
