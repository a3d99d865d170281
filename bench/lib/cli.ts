/** Command-line flags of `npm run bench`. */
import { parseArgs } from 'node:util';

export interface BenchArgs {
  /** Short run: the whole bench in under a minute on a 2-core machine. */
  readonly quick: boolean;
  /** Scenarios to run (all when empty). */
  readonly scenarios: readonly string[];
  /** Print the result JSON on stdout. */
  readonly json: boolean;
  /** Exit non-zero when an enforced goal is missed. */
  readonly check: boolean;
  /** Also write the goals table into README.md (between its bench markers). */
  readonly readme: boolean;
  /** Where results go. @default bench/results */
  readonly out: string | undefined;
  readonly help: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--scenario NAME]... [--json] [--check] [--readme] [--out DIR]

  --quick          short run (< 60 s on a 2-core machine); results are marked quick
  --scenario NAME  run only this scenario (repeatable); see the list below
  --json           print the result JSON on stdout (progress stays on stderr)
  --check          exit 1 when a ratio misses its goal (bench/goals.ts)
  --readme         also write the goals table of this run into README.md
  --out DIR        write latest.json, latest.md and the charts to DIR (default bench/results)
`;

/** Parses the flags; throws a TypeError naming the bad flag or scenario. */
export function parseBenchArgs(argv: readonly string[], known: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      readme: { type: 'boolean', default: false },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const scenarios = values.scenario ?? [];
  for (const s of scenarios) {
    if (!known.includes(s)) throw new TypeError(`unknown scenario "${s}"; known: ${known.join(', ')}`);
  }
  return {
    quick: values.quick ?? false,
    scenarios: [...new Set(scenarios)],
    json: values.json ?? false,
    check: values.check ?? false,
    readme: values.readme ?? false,
    out: values.out,
    help: values.help ?? false,
  };
}
