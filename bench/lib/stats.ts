/**
 * The statistics every figure in the report is built from: the median and the spread (min–max) of
 * the rounds, and ratios paired round by round. Pure functions, unit-tested in test/bench/.
 *
 * Why paired ratios: on a shared 2-core machine absolute times drift ±40% between (and within)
 * runs. Cases run interleaved, so round r of breakwater and round r of a peer saw the same machine
 * weather; the ratio of those two numbers is far steadier than the ratio of two medians.
 */

/** Median, spread and count of a list of numbers. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median and min–max of the rounds. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('summary of an empty list');
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { median: median(values), min, max, n: values.length };
}

/**
 * How many times faster `subject` is than `peer`, given the cost (time per op) of each, round by
 * round: `peer[r] / subject[r]`, summarized. > 1 means the subject is faster.
 */
export function speedup(subjectCost: readonly number[], peerCost: readonly number[]): Summary {
  return summarize(paired(peerCost, subjectCost));
}

/**
 * Throughput ratio `subject[r] / peer[r]` (ops/s), summarized. > 1 means the subject does more.
 */
export function throughputRatio(subjectOps: readonly number[], peerOps: readonly number[]): Summary {
  return summarize(paired(subjectOps, peerOps));
}

/** Round-by-round `a[r] / b[r]`. The lists must have the same length. */
export function paired(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length || a.length === 0) {
    throw new RangeError(
      `paired ratio needs two lists of the same non-zero length, got ${a.length} and ${b.length}`,
    );
  }
  return a.map((x, i) => x / b[i]!);
}

/** Nanoseconds per op → ops per second. */
export function opsPerSecond(nsPerOp: number): number {
  return nsPerOp > 0 ? 1e9 / nsPerOp : Number.POSITIVE_INFINITY;
}

/** Rounds to `digits` significant digits (for JSON: enough precision, no float noise). */
export function sig(value: number, digits = 4): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}
