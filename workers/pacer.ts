/**
 * How many calls a thread runs at once, within `concurrentTasksPerWorker`: the pool's adaptive
 * concurrency. Calls that await I/O overlap well, so a thread runs up to its limit of them; but
 * when the calls themselves keep the thread's event loop busy (parsing big answers, say), running
 * more of them at once adds no throughput, it only makes every one of them slower: 12 calls of
 * 40 ms of CPU each all finish near 480 ms instead of one every 40 ms, and against a 1 s timeout
 * a burst of them times out together. So:
 * - while the loop is saturated (busy ≥ 90% of a beat) the pacer halves how many run at once,
 *   down to what fits: about TARGET_MS of the calls' measured loop time;
 * - calls that cost little loop time (all `limit` of them fit) get the whole limit back as soon
 *   as the loop has room (busy < 80%) and calls wait;
 * - heavier calls are also paced by their run time: with room and calls waiting they get one more
 *   slot per beat only while they run within 1.5x the best mean run time recently seen, and when
 *   they take more than twice that the cap shrinks in proportion. A thread's loop can have room
 *   while the CPU is busy elsewhere (4 threads on 2 cores, or the process serving those answers):
 *   more at once then only makes each call slower.
 * The waiting calls wait in the thread's inbox, which is queue time (their run timeout starts when
 * they begin). `tick` runs on the heartbeat (every HEARTBEAT_MS) with that beat's event-loop
 * figures; per call the pacer reads the clock when it starts and ends.
 */
// The module's `performance`: the global of that name is a lazy getter, read on every call.
import { performance } from 'node:perf_hooks';

/** The loop is saturated when it was busy at least this fraction of the last beat. */
const SATURATED = 0.9;
/** Below this fraction the loop has room for more calls. */
const ROOM = 0.8;
/** About this much of the thread's work (ms of busy loop) may run at once while saturated. */
const TARGET_MS = 100;
/** Per beat, the weight the older figures keep (about three beats of memory). */
const DECAY = 0.7;
/** Heavy calls may get one more slot while their run time is within this factor of the best... */
const FASTER = 1.5;
/** ...and lose slots when it is beyond this one. */
const SLOWER = 2;
/** The best run time seen forgets this fast (per beat), so a lasting change becomes the norm. */
const FORGET = 1.02;

export class Pacer {
  /** Calls that may run at once now: 1..limit. */
  cap: number;
  readonly #limit: number;
  /** When each running call started (performance.now()), by slot. */
  readonly #startedAt: Float64Array;
  /** Calls that finished since the last tick, and the run time of the asynchronous ones. */
  #finished = 0;
  #timed = 0;
  #runMs = 0;
  /** Busy-loop ms and finished calls over the last few beats, exponentially weighted. */
  #busyMs = 0;
  #done = 0;
  /** The shortest mean run time of a beat's calls, slowly forgotten; 0 until measured. */
  #bestRunMs = 0;

  readonly #now: () => number;

  /** `now`: the clock of run times (tests pass their own). */
  constructor(limit: number, slots: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#limit = limit;
    this.cap = limit;
    this.#startedAt = new Float64Array(slots);
  }

  /** An asynchronous call began in `slot`. */
  started(slot: number): void {
    this.#startedAt[slot] = this.#now();
  }

  /** The asynchronous call in `slot` ended. */
  ended(slot: number): void {
    this.#finished++;
    this.#timed++;
    this.#runMs += this.#now() - (this.#startedAt[slot] as number);
  }

  /** A synchronous call ran (its loop time counts; its run time is not a sign of contention). */
  ranSync(): void {
    this.#finished++;
  }

  /**
   * One beat: `activeMs` and `utilization` of the event loop over it, `running` calls now running,
   * `waiting` whether calls wait in the inbox for a free slot.
   */
  tick(activeMs: number, utilization: number, running: number, waiting: boolean): void {
    // Sums over a few beats rather than a ratio per beat: calls that ran for several beats and
    // finished in this one must not read as cheap.
    this.#busyMs = DECAY * this.#busyMs + activeMs;
    this.#done = DECAY * this.#done + this.#finished;
    const runMs = this.#timed > 0 ? this.#runMs / this.#timed : undefined;
    this.#finished = 0;
    this.#timed = 0;
    this.#runMs = 0;
    if (runMs !== undefined) {
      this.#bestRunMs = this.#bestRunMs === 0 ? runMs : Math.min(runMs, this.#bestRunMs * FORGET);
    }
    const fits = this.#done > 0 ? Math.floor(TARGET_MS / (this.#busyMs / this.#done)) : undefined;
    if (utilization >= SATURATED) {
      // Cheap calls that fill the loop keep their concurrency: fewer at once would not make any faster.
      this.cap = clamp(Math.max(fits ?? 1, Math.floor(Math.min(this.cap, running) / 2)), this.#limit);
      return;
    }
    // Calls whose loop time matters (fewer than `limit` fit in TARGET_MS) are also paced by their
    // run time: when more at once only makes each slower, the CPU (or what they wait on) is full.
    const heavy = fits !== undefined && fits < this.#limit;
    if (heavy && runMs !== undefined && runMs > SLOWER * this.#bestRunMs) {
      const scaled = Math.floor((this.cap * FASTER * this.#bestRunMs) / runMs);
      this.cap = clamp(Math.min(this.cap - 1, scaled), this.#limit);
    } else if (utilization < ROOM && waiting && this.cap < this.#limit) {
      if (!heavy) this.cap = this.#limit;
      else if (runMs === undefined || runMs <= FASTER * this.#bestRunMs)
        this.cap = clamp(this.cap + 1, this.#limit);
    }
  }
}

function clamp(n: number, limit: number): number {
  return Math.max(1, Math.min(n, limit));
}
