/**
 * Prometheus metrics of one admin server (`GET /metrics`).
 *
 * Gauges and cumulative counters are read per service at scrape time (`sup.metrics(name)`, each
 * read isolated: one service's throwing trip policy leaves only that service's figures out);
 * transitions and call durations are fed by supervisor events. Per-call events fire only while
 * someone listens, so subscribing here turns them on for as long as the server runs: the cost of
 * an admin server is one event per call.
 *
 * The exposition is built by hand, a slice of services at a time: after each ~8 ms of work the
 * scrape yields to the event loop, so a scrape of 10,000 services never stalls calls, timers or
 * probes for long (prom-client's collect callbacks run a whole scrape in one synchronous stretch).
 * Scrapes that overlap share one rendering. Its buffers serve the next rendering once every
 * response that wrote them has been sent (`release()`). The server's prom-client `registry` is for
 * the user's own metrics; its text follows breakwater's.
 */
import { Registry } from 'prom-client';
import { ErrorCode } from '../errors.ts';
import type { CallFailedEvent, CallSucceededEvent, StateChangeEvent } from '../events.ts';
import { registerFleetMetrics } from './fleet-metrics.ts';
import { BufferPool, EXPOSITION_CONTENT_TYPE } from './metrics/exposition.ts';
import { joinParts, newParts, writeService, writeUnavailable } from './metrics/families.ts';
import { ServiceSeries, STATE_INDEX } from './metrics/series.ts';
import type { MetricsReader } from './read.ts';
import type { AdminSupervisor } from './types.ts';

export { DURATION_BUCKETS } from './metrics/series.ts';

/** Work done between two yields to the event loop, in ms. */
const SLICE_MS = 8;
/** Services rendered between two looks at the clock. */
const CHECK_EVERY = 32;

const OUTCOME_FAILURE = 1;
const OUTCOME_TIMEOUT = 2;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One scrape's answer. */
export interface MetricsAnswer {
  readonly contentType: string;
  readonly chunks: readonly (string | Buffer)[];
  /**
   * Call once the answer is done with: `sent` when all of it was handed to the OS (the response's
   * `finish`), false when it was cut short (its chunks may still sit in a dead socket's queue, so
   * their buffers are left to the garbage collector instead of being written again). Idempotent.
   */
  release(sent: boolean): void;
}

/** A rendering and the responses writing it. */
interface Rendering {
  readonly text: Promise<{ readonly chunks: (string | Buffer)[]; readonly taken: readonly Buffer[] }>;
  /** Responses that have it and have not released it. */
  leases: number;
  /** False once any of them was cut short. */
  sent: boolean;
}

/** The metrics of one admin server. `attach()` subscribes to the supervisor; `detach()` undoes it. */
export class AdminMetrics {
  /** The server's own registry, for the user's metrics; its text is appended to every scrape. */
  readonly registry = new Registry();
  readonly #sup: AdminSupervisor;
  readonly #reader: MetricsReader;
  readonly #series = new Map<string, ServiceSeries>();
  #attached = false;
  readonly #pool = new BufferPool();
  #rendering: Rendering | undefined;

  constructor(sup: AdminSupervisor, reader: MetricsReader) {
    this.#sup = sup;
    this.#reader = reader;
    // Fleet figures (only with a fleet attached) live in the server's registry, after ours.
    registerFleetMetrics(this.registry, () => sup.fleetStatus?.());
  }

  /** Subscribes to the supervisor events that feed transitions and durations. Idempotent. */
  attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    this.#sup.on('stateChange', this.#onStateChange);
    this.#sup.on('callSucceeded', this.#onSucceeded);
    this.#sup.on('callFailed', this.#onFailed);
  }

  /** Removes every listener `attach()` added. Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#sup.off('stateChange', this.#onStateChange);
    this.#sup.off('callSucceeded', this.#onSucceeded);
    this.#sup.off('callFailed', this.#onFailed);
  }

  /** The exposition, as chunks to write in order, and its content type. */
  async render(): Promise<MetricsAnswer> {
    let r = this.#rendering;
    if (r === undefined) {
      const text = this.#render().finally(() => {
        this.#rendering = undefined;
      });
      r = { text, leases: 0, sent: true };
      this.#rendering = r;
    }
    // Taken before the first await, so a rendering cannot be given back while anyone waits for it.
    r.leases++;
    const rendering = r;
    let released = false;
    const { chunks, taken } = await rendering.text;
    return {
      contentType: EXPOSITION_CONTENT_TYPE,
      chunks,
      release: (sent) => {
        if (released) return;
        released = true;
        if (!sent) rendering.sent = false;
        if (--rendering.leases === 0 && rendering.sent) this.#pool.give(taken);
      },
    };
  }

  async #render(): Promise<{ readonly chunks: (string | Buffer)[]; readonly taken: readonly Buffer[] }> {
    const sup = this.#sup;
    const parts = newParts(this.#pool);
    const names = sup.services();
    let sliceStart = performance.now();
    let now = sup.clock.now();
    for (let i = 0; i < names.length; i++) {
      if (i % CHECK_EVERY === 0 && i > 0 && performance.now() - sliceStart >= SLICE_MS) {
        await yieldToLoop();
        sliceStart = performance.now();
        now = sup.clock.now();
      }
      const name = names[i]!;
      const m = this.#reader.counters(name);
      if (m === undefined) {
        if (!sup.has(name)) continue; // unregistered while the scrape was running
        writeUnavailable(parts, this.#seriesOf(name), stateOf(sup, name));
        continue;
      }
      writeService(parts, this.#seriesOf(name), m, now);
    }
    const { chunks, taken } = joinParts(parts);
    const all: (string | Buffer)[] = chunks;
    if (this.registry.getMetricsAsArray().length > 0) all.push(await this.registry.metrics());
    return { chunks: all, taken };
  }

  #seriesOf(service: string): ServiceSeries {
    let s = this.#series.get(service);
    if (s === undefined) {
      s = new ServiceSeries(service);
      this.#series.set(service, s);
    }
    return s;
  }

  readonly #onStateChange = (e: StateChangeEvent): void => {
    const from = STATE_INDEX.get(e.from);
    const to = STATE_INDEX.get(e.to);
    if (from !== undefined && to !== undefined) this.#seriesOf(e.service).transition(from, to);
  };

  readonly #onSucceeded = (e: CallSucceededEvent): void => {
    this.#seriesOf(e.service).observe(0, e.durationMs / 1000);
  };

  readonly #onFailed = (e: CallFailedEvent): void => {
    // Timeouts are failures to the breaker, and their own outcome in calls_total: same here.
    const code = (e.error as { code?: unknown } | null | undefined)?.code;
    const outcome = code === ErrorCode.CallTimeout ? OUTCOME_TIMEOUT : OUTCOME_FAILURE;
    this.#seriesOf(e.service).observe(outcome, e.durationMs / 1000);
  };
}

function stateOf(sup: AdminSupervisor, name: string): string | undefined {
  try {
    return sup.state(name);
  } catch {
    return undefined;
  }
}
