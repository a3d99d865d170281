/**
 * How many calls a thread runs at once, within `concurrentTasksPerWorker`: the pool's adaptive
 * concurrency. Calls that await I/O overlap well, so a thread runs up to its limit of them; but
 * when the calls themselves keep the thread's event loop busy (parsing big answers, say), running
 * more of them at once adds no throughput, it only makes every one of them slower: 12 calls of
 * 40 ms of CPU each all finish near 480 ms instead of one every 40 ms, and against a 1 s timeout
 * a burst of them times out together. So while the loop is saturated the pacer halves how many
 * run at once, down to about TARGET_MS of their measured work; the other calls wait in the
 * thread's inbox, where the time is queue time (their run timeout starts when they begin). While
 * the loop has room and calls wait, it raises the cap again, by one per beat or at once to what
 * the measured cost allows.
 *
 * `tick` runs on the heartbeat (every HEARTBEAT_MS) with that beat's event-loop figures, so the
 * per-call cost is one counter increment.
 */

/** The loop is saturated when it was busy at least this fraction of the last beat. */
const SATURATED = 0.9;
/** Below this fraction the loop has room for more calls. */
const ROOM = 0.8;
/** About this much of the thread's work (ms of busy loop) may run at once while saturated. */
const TARGET_MS = 100;

/** Per beat, the weight the older figures keep (about three beats of memory). */
const DECAY = 0.7;

export class Pacer {
  /** Calls that may run at once now: 1..limit. */
  cap: number;
  /** Calls that finished since the last tick (sync or async). */
  finished = 0;
  readonly #limit: number;
  /** Busy-loop ms and finished calls over the last few beats, exponentially weighted. */
  #busyMs = 0;
  #done = 0;

  constructor(limit: number) {
    this.#limit = limit;
    this.cap = limit;
  }

  /**
   * One beat: `activeMs` and `utilization` of the event loop over it, `running` calls now running,
   * `waiting` whether calls wait in the inbox for a free slot.
   */
  tick(activeMs: number, utilization: number, running: number, waiting: boolean): void {
    // Sums over a few beats rather than a ratio per beat: calls that ran for several beats and
    // finished in this one must not read as cheap.
    this.#busyMs = DECAY * this.#busyMs + activeMs;
    this.#done = DECAY * this.#done + this.finished;
    this.finished = 0;
    const fits = this.#done > 0 ? Math.floor(TARGET_MS / (this.#busyMs / this.#done)) : undefined;
    if (utilization >= SATURATED) {
      // Halve what runs, down to what ~TARGET_MS of measured work allows (cheap calls that fill
      // the loop keep their concurrency: fewer of them at once would not make any faster).
      this.cap = clamp(Math.max(fits ?? 1, Math.floor(Math.min(this.cap, running) / 2)), this.#limit);
    } else if (utilization < ROOM && waiting && this.cap < this.#limit) {
      this.cap = clamp(Math.max(this.cap + 1, fits ?? this.#limit), this.#limit);
    }
  }
}

function clamp(n: number, limit: number): number {
  return Math.max(1, Math.min(n, limit));
}
