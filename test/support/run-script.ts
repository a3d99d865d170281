/**
 * Runs a TypeScript script in a child process (`node --import tsx`) and collects how it ended, for
 * the tests that must see a whole process: exit without close(), the demo. The kill timer is a
 * safety net only: a process kept alive would hang the suite; being killed fails the test.
 */
import { spawn } from 'node:child_process';

export interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runScript(
  script: string,
  args: readonly string[] = [],
  options: {
    readonly cwd?: string;
    readonly killAfterMs?: number;
    /** Extra environment variables for the child (e.g. TMPDIR). */
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env !== undefined && { env: { ...process.env, ...options.env } }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 20_000);
    child.once('error', (error) => {
      clearTimeout(killer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
