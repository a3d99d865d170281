/** Where and how a run happened: machine, Node version, date, git commit, command line. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Machine {
  readonly cpus: { readonly model: string; readonly count: number };
  readonly memoryBytes: number;
  readonly platform: string;
  readonly arch: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    memoryBytes: os.totalmem(),
    platform: os.platform(),
    arch: os.arch(),
  };
}

function git(args: readonly string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** `git rev-parse HEAD`, with ` (uncommitted)` when the tree has changes; `none` before the first commit. */
export function gitCommit(cwd: string = process.cwd()): string {
  const head = git(['rev-parse', '--verify', 'HEAD'], cwd) ?? 'none';
  const status = git(['status', '--porcelain'], cwd);
  const dirty = status === undefined || status.length > 0;
  return dirty ? `${head} (uncommitted)` : head;
}

/** The command as the user typed it, as far as it can be told (`npm run bench -- --quick`). */
export function commandLine(args: readonly string[], script: string, npmScript?: string): string {
  const tail = args.length > 0 ? ` ${args.join(' ')}` : '';
  if (npmScript !== undefined) return `npm run ${npmScript}${tail.length > 0 ? ` --${tail}` : ''}`;
  return `tsx ${script}${tail}`;
}
