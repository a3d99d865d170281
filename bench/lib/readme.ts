/**
 * `npm run bench -- --readme`: writes the run's headline table into the README between two
 * markers, so the figures there always come from a real run, with its date and command, and are
 * never retyped by hand.
 */
import { type BenchResult, goalsTable } from './report.ts';

export const README_START = '<!-- bench:start (written by `npm run bench -- --readme`) -->';
export const README_END = '<!-- bench:end -->';

/** The block that goes between the markers. */
export function readmeBlock(result: BenchResult): string {
  const m = result.machine;
  const lines = [
    `Last run: ${result.date.slice(0, 10)}, \`${result.command}\`, commit \`${result.git.replace(/^([0-9a-f]{12})[0-9a-f]+/, '$1')}\`,`,
    `Node ${result.node}, ${m.cpus.count} × ${m.cpus.model}; load average ${result.load.start[0]} at the start,`,
    `${result.load.end[0]} at the end${result.quick ? '; **a quick run** (fewer, shorter rounds: noisier)' : ''}.`,
    'Every figure is the median of per-round ratios measured side by side in that run (min–max of',
    'the rounds in brackets); the full tables are in [bench/results/latest.md](bench/results/latest.md).',
    '',
    goalsTable(result),
  ];
  return lines.join('\n');
}

/** `readme` with the block between the markers replaced; throws when the markers are missing. */
export function replaceReadmeBlock(readme: string, result: BenchResult): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no "${README_START}" ... "${README_END}" section to write into`);
  }
  return `${readme.slice(0, start + README_START.length)}\n${readmeBlock(result)}\n${readme.slice(end)}`;
}
