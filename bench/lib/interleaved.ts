/**
 * `measureGroup` for cases that differ by a few percent at most (a feature attached vs not). There
 * each case runs one block per round, 40–200 ms long, and on a shared 2-core machine another
 * process can take a core for one block and not the next: an A/A pair of identical cases then
 * reads anywhere between 0.7x and 1.3x. Here the cases alternate every slice of `minOps` ops
 * (~0.1–0.3 ms for an inline call), in rotating order, so the machine's weather falls on all of
 * them alike; a round is `roundMs` per case, and its ratio is still one paired figure per round.
 */

import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { Recorder } from './loops.ts';
import { type BenchCase, type CaseStats, caseStats, exposedGc, type RunConfig } from './measure.ts';
import type { Progress } from './progress.ts';

/** Slices per round at most (the time budget ends a round first, unless a case is very fast). */
const MAX_SLICES = 1_000_000;

export async function measureInterleaved(
  title: string,
  cases: readonly BenchCase[],
  cfg: RunConfig,
  progress: Progress,
): Promise<CaseStats[]> {
  const gc = exposedGc();
  const slice = cases.map((c) => Math.max(1, c.minOps ?? 1));
  const noop: Recorder = () => {};
  progress.step(title, 0, cfg.rounds + 1);
  const warmEnd = performance.now() + cfg.warmupMs * cases.length;
  for (let k = 0; k < MAX_SLICES && performance.now() < warmEnd; k++) {
    for (let i = 0; i < cases.length; i++) await cases[i]!.run(slice[i]!, noop);
  }
  progress.step(title, 1, cfg.rounds + 1);
  const hist = cases.map(() => hdr.build({ numberOfSignificantValueDigits: 3 }));
  const recs: Recorder[] = hist.map((h) => (ns) => h.recordValue(Math.max(1, Math.round(ns))));
  const rounds: number[][] = cases.map(() => []);
  let slices = 0;
  for (let r = 0; r < cfg.rounds; r++) {
    gc?.();
    const spentMs = cases.map(() => 0);
    const start = performance.now();
    const budget = cfg.roundMs * cases.length;
    let k = 0;
    for (; k < MAX_SLICES && performance.now() - start < budget; k++) {
      for (let j = 0; j < cases.length; j++) {
        const i = (k + j) % cases.length;
        const t0 = performance.now();
        const own = await cases[i]!.run(slice[i]!, recs[i]!);
        spentMs[i]! += typeof own === 'number' ? own : performance.now() - t0;
      }
    }
    slices = k;
    for (let i = 0; i < cases.length; i++) rounds[i]!.push((spentMs[i]! * 1e6) / (k * slice[i]!));
    progress.step(title, r + 2, cfg.rounds + 1);
  }
  return cases.map((c, i) => caseStats(c, slices * slice[i]!, rounds[i]!, hist[i]!));
}
