/**
 * Call timeouts without a timer per call (BENCH.md: setTimeout + clearTimeout cost ~280 ns). All
 * calls with the same timeout duration share one FIFO list: their deadlines arrive in admission
 * order, so only the head needs a scheduled wake-up. Nodes are intrusive (the call object carries
 * its own links), so adding and removing are O(1) and allocate nothing.
 */
import type { Clock } from './clock.ts';
import type { ScheduledTask, Scheduler } from './scheduler.ts';

/** A call that can time out. The list writes the `dl*` fields; `expire` is called once, on time. */
export interface DeadlineNode {
  dlAt: number;
  dlPrev: DeadlineNode | null;
  dlNext: DeadlineNode | null;
  dlList: DeadlineList | null;
  /** The deadline passed. Called once, after the node was removed. */
  expire(): void;
  /** The owner is closing: settle without waiting. */
  shutdown(): void;
}

export class DeadlineList {
  readonly durationMs: number;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;
  #head: DeadlineNode | null = null;
  #tail: DeadlineNode | null = null;
  #size = 0;
  #task: ScheduledTask | undefined;

  /** `durationMs` of Infinity keeps nodes (for close()) but never expires them. */
  constructor(durationMs: number, clock: Clock, scheduler: Scheduler) {
    this.durationMs = durationMs;
    this.#clock = clock;
    this.#scheduler = scheduler;
  }

  get size(): number {
    return this.#size;
  }

  add(node: DeadlineNode): void {
    node.dlAt =
      this.durationMs === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : this.#clock.now() + this.durationMs;
    node.dlList = this;
    node.dlNext = null;
    node.dlPrev = this.#tail;
    if (this.#tail === null) this.#head = node;
    else this.#tail.dlNext = node;
    this.#tail = node;
    this.#size++;
    if (this.#task === undefined || !this.#task.active) this.#arm();
  }

  remove(node: DeadlineNode): void {
    if (node.dlList !== this) return;
    if (node.dlPrev === null) this.#head = node.dlNext;
    else node.dlPrev.dlNext = node.dlNext;
    if (node.dlNext === null) this.#tail = node.dlPrev;
    else node.dlNext.dlPrev = node.dlPrev;
    node.dlPrev = null;
    node.dlNext = null;
    node.dlList = null;
    this.#size--;
    // The wake-up stays armed when the list empties: cancelling and re-arming a clock timer around
    // every sequential call would cost more than the call. It fires once, finds nothing, and stops.
  }

  /** Removes and returns every node (for close()). */
  takeAll(): DeadlineNode[] {
    const out: DeadlineNode[] = [];
    while (this.#head !== null) {
      const node = this.#head;
      this.remove(node);
      out.push(node);
    }
    return out;
  }

  #arm(): void {
    const head = this.#head;
    if (head === null || head.dlAt === Number.POSITIVE_INFINITY) return;
    this.#task = this.#scheduler.schedule(head.dlAt, this.#fire);
  }

  readonly #fire = (): void => {
    this.#task = undefined;
    const now = this.#clock.now();
    try {
      while (this.#head !== null && this.#head.dlAt <= now) {
        const node = this.#head;
        this.remove(node);
        node.expire();
      }
    } finally {
      // Re-arm even if an expire() threw, or the rest of the list would never time out. expire()
      // may also have added calls (and armed a wake-up) re-entrantly.
      const task = this.#task as ScheduledTask | undefined;
      if (this.#head !== null && (task === undefined || !task.active)) this.#arm();
    }
  };
}

/** One list per distinct timeout duration. */
export class Deadlines {
  readonly #lists = new Map<number, DeadlineList>();
  #last: DeadlineList | undefined;
  readonly #clock: Clock;
  readonly #scheduler: Scheduler;

  constructor(clock: Clock, scheduler: Scheduler) {
    this.#clock = clock;
    this.#scheduler = scheduler;
  }

  list(durationMs: number): DeadlineList {
    // Most calls use the same few durations: the last one answers without a Map lookup.
    const last = this.#last;
    if (last !== undefined && last.durationMs === durationMs) return last;
    let list = this.#lists.get(durationMs);
    if (list === undefined) {
      list = new DeadlineList(durationMs, this.#clock, this.#scheduler);
      this.#lists.set(durationMs, list);
    }
    this.#last = list;
    return list;
  }

  /** Removes and returns every node of every list. */
  takeAll(): DeadlineNode[] {
    const out: DeadlineNode[] = [];
    for (const list of this.#lists.values()) out.push(...list.takeAll());
    return out;
  }

  get size(): number {
    let n = 0;
    for (const list of this.#lists.values()) n += list.size;
    return n;
  }
}
