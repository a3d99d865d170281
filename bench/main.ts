/**
 * `npm run bench`: breakwater against every alternative, in one run (BENCH.md). Progress goes to
 * stderr; results to bench/results/latest.{json,md} and SVG charts; `--json` prints the result,
 * `--check` exits 1 when an enforced goal is missed.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { checkGoals, failedGoals } from './goals.ts';
import { type BenchArgs, parseBenchArgs, USAGE } from './lib/cli.ts';
import { commandLine, gitCommit, machine } from './lib/env.ts';
import { ensureExposeGc } from './lib/gc.ts';
import { FULL, QUICK } from './lib/measure.ts';
import { createProgress } from './lib/progress.ts';
import { replaceReadmeBlock } from './lib/readme.ts';
import { buildResult, busy, formatFigure, renderMarkdown } from './lib/report.ts';
import type { ScenarioResult } from './lib/scenario.ts';
import { lineChart } from './lib/svg.ts';
import { SCENARIOS } from './scenarios/index.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

const round2 = (n: number): number => Math.round(n * 100) / 100;

async function main(argv: readonly string[]): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(
      argv,
      SCENARIOS.map((s) => s.name),
    );
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\n\n${USAGE}\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  if (args.help) {
    process.stdout.write(
      `${USAGE}\nscenarios: ${SCENARIOS.map((s) => `${s.name} (${s.title})`).join('\n           ')}\n`,
    );
    return 0;
  }
  const reexec = ensureExposeGc();
  if (reexec !== undefined) return reexec;

  const started = performance.now();
  const loadStart = os.loadavg();
  const date = new Date().toISOString();
  const progress = createProgress();
  const cfg = args.quick ? QUICK : FULL;
  const selected =
    args.scenarios.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => args.scenarios.includes(s.name));
  const results: ScenarioResult[] = [];
  const errors: { scenario: string; error: string }[] = [];
  for (const scenario of selected) {
    progress.scenario(scenario.name, scenario.title);
    try {
      results.push(await scenario.run({ cfg, progress }));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ scenario: scenario.name, error: message });
      progress.line(`FAILED: ${message}`);
    }
    progress.end(scenario.name);
  }

  const result = buildResult(
    {
      quick: args.quick,
      date,
      node: process.version,
      machine: machine(),
      git: gitCommit(root),
      command: commandLine(
        argv,
        'bench/main.ts',
        process.env.npm_lifecycle_event === 'bench' ? 'bench' : undefined,
      ),
      durationMs: Math.round(performance.now() - started),
      load: { start: loadStart.map(round2), end: os.loadavg().map(round2) },
    },
    results,
  );
  const out = path.resolve(args.out ?? path.join(root, 'bench', 'results'));
  await mkdir(out, { recursive: true });
  const json = { ...result, errors };
  await writeFile(path.join(out, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(path.join(out, 'latest.md'), renderMarkdown(result, results));
  for (const r of results) {
    for (const c of r.charts) await writeFile(path.join(out, c.file), lineChart(c.spec));
  }
  if (args.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  if (args.readme) {
    const readme = path.join(root, 'README.md');
    await writeFile(readme, replaceReadmeBlock(await readFile(readme, 'utf8'), result));
    process.stderr.write('README.md: benchmark table updated\n');
  }

  const goals = checkGoals(result.ratios);
  for (const g of goals) {
    const mark =
      g.verdict === 'pass' ? 'pass' : g.verdict === 'n/a' ? 'n/a ' : g.goal.enforced ? 'MISS' : 'aim ';
    process.stderr.write(
      `  ${mark}  ${g.goal.key.padEnd(28)} ${formatFigure(g.goal.key, g.value).padStart(9)}  (${g.goal.text})\n`,
    );
  }
  process.stderr.write(`results: ${path.relative(process.cwd(), out) || '.'}/latest.{json,md}\n`);
  if (busy(result)) {
    process.stderr.write(
      `warning: load average ${result.load.start[0]} → ${result.load.end[0]} on ${result.machine.cpus.count} CPUs: other work competed with the bench\n`,
    );
  }
  if (errors.length > 0) {
    process.stderr.write(
      `${errors.length} scenario(s) failed: ${errors.map((e) => e.scenario).join(', ')}\n`,
    );
    return 1;
  }
  if (args.check) {
    const missed = failedGoals(goals);
    if (missed.length > 0) {
      process.stderr.write(
        `--check: ${missed.length} goal(s) missed: ${missed.map((m) => m.goal.key).join(', ')}\n`,
      );
      return 1;
    }
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
