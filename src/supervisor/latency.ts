/**
 * Response-time statistics of one service over a rolling window: two slots (current and previous),
 * each `windowMs` long, so a query always covers between one and two windows of samples.
 * Histograms (hdr-histogram-js) are made on the first sample only: an idle breaker holds none.
 * Recording is O(1); percentiles are computed only when asked.
 */
import { build, type Histogram } from 'hdr-histogram-js';

const HIGHEST_US = 3_600_000_000; // one hour, in microseconds

function makeHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 2,
  });
}

export interface LatencySummary {
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

const EMPTY: LatencySummary = Object.freeze({ avgMs: 0, p50Ms: 0, p99Ms: 0, samples: 0 });

export class LatencyWindow {
  readonly #windowMs: number;
  #current: Histogram | undefined;
  #previous: Histogram | undefined;
  #slotStart = 0;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  record(durationMs: number, now: number): void {
    if (this.#current === undefined) {
      this.#current = makeHistogram();
      this.#slotStart = now;
    } else if (now - this.#slotStart >= this.#windowMs) {
      this.#rotate(now);
    }
    const us = Math.min(HIGHEST_US, Math.max(1, Math.round(durationMs * 1000)));
    this.#current!.recordValue(us);
  }

  summary(now: number): LatencySummary {
    if (this.#current === undefined) return EMPTY;
    if (now - this.#slotStart >= 2 * this.#windowMs) return EMPTY;
    if (now - this.#slotStart >= this.#windowMs) this.#rotate(now);
    const cur = this.#current!;
    let h = cur;
    if (this.#previous !== undefined && this.#previous.totalCount > 0) {
      h = makeHistogram();
      h.add(cur);
      h.add(this.#previous);
    }
    if (h.totalCount === 0) return EMPTY;
    return {
      avgMs: h.mean / 1000,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      samples: h.totalCount,
    };
  }

  reset(): void {
    this.#current?.reset();
    this.#previous?.reset();
  }

  #rotate(now: number): void {
    const gone = this.#previous;
    this.#previous = this.#current;
    if (now - this.#slotStart >= 2 * this.#windowMs) this.#previous?.reset();
    this.#current = gone ?? makeHistogram();
    this.#current.reset();
    this.#slotStart = now;
  }
}
