#!/usr/bin/env node
/**
 * The `breakwater` command: `breakwater demo [flags]` runs the live demo; `breakwater bench [flags]`
 * runs the benchmark suite (it needs a checkout of the repository, whose bench/ and dev
 * dependencies hold the peers it compares against).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runDemoProcess as demo } from './demo/main.ts';

const USAGE = `usage: breakwater <command> [flags]
  demo   the live demo   (--duration s, --rps n, --port n, --no-dashboard, --inline, --log-file path)
  bench  the benchmarks  (--quick, --scenario NAME, --json, --check)`;

async function bench(args: readonly string[]): Promise<number> {
  // dist/src/cli.js or src/cli.ts -> the package root
  const root = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '..' : '../..', import.meta.url));
  const entry = `${root}/bench/main.ts`;
  if (!existsSync(entry)) {
    process.stderr.write('breakwater bench needs a checkout of the repository (bench/ is not published)\n');
    return 1;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return demo(rest);
    case 'bench':
      return bench(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
      return 1;
  }
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
