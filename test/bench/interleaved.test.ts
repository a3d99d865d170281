/**
 * measureInterleaved() (bench/lib/interleaved.ts): every case runs the same number of slices in a
 * round, in an order that rotates slice by slice, and each case's figure is its own time per op.
 * Fake cases that report their own time; nothing here is a timing assertion.
 */
import { describe, expect, it } from 'vitest';
import { measureInterleaved } from '../../bench/lib/interleaved.ts';
import type { BenchCase } from '../../bench/lib/measure.ts';
import { silentProgress } from '../../bench/lib/progress.ts';

describe('measureInterleaved', () => {
  it('alternates the cases slice by slice in rotating order, equal slices per case', async () => {
    const order: string[] = [];
    const fake = (id: string, msPerSlice: number): BenchCase => ({
      id,
      label: id,
      role: 'breakwater',
      latency: 'batch-mean',
      minOps: 10,
      run: async (n) => {
        expect(n).toBe(10);
        order.push(id);
        return msPerSlice; // the case's own time: 1 or 2 ms per 10 ops
      },
    });
    const cfg = { quick: true, warmupMs: 0, rounds: 3, roundMs: 1 };
    const stats = await measureInterleaved('t', [fake('a', 1), fake('b', 2)], cfg, silentProgress);
    expect(stats.map((s) => s.roundsNs.length)).toEqual([3, 3]);
    expect(stats[0]!.roundsNs.every((ns) => ns === 1e5)).toBe(true);
    expect(stats[1]!.roundsNs.every((ns) => ns === 2e5)).toBe(true);
    expect(stats[0]!.ops).toBe(stats[1]!.ops);
    expect(order.filter((id) => id === 'a').length).toBe(order.filter((id) => id === 'b').length);
    // Pairs of one slice each, the leader alternating: a b, b a, a b, ...
    const pairs = Array.from({ length: order.length / 2 }, (_, i) => order[2 * i]! + order[2 * i + 1]!);
    expect(new Set(pairs)).toEqual(new Set(['ab', 'ba']));
  });
});
