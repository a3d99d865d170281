/**
 * Memory figures need `global.gc` (heapUsed after a full collection). When node was started
 * without `--expose-gc`, the script runs itself again in a child node with the flag, with the same
 * loader flags (tsx) and arguments, and passes its exit code on.
 */
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MARK = 'BREAKWATER_BENCH_REEXEC';

/** Returns undefined when gc is available here; otherwise runs the child and returns its exit code. */
export function ensureExposeGc(): number | undefined {
  if (typeof (globalThis as { gc?: unknown }).gc === 'function') return undefined;
  if (process.env[MARK] === '1') {
    process.stderr.write('warning: global.gc is unavailable; memory figures will be noisy\n');
    return undefined;
  }
  const script = process.argv[1];
  if (script === undefined) return undefined;
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, '--expose-gc', script, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, [MARK]: '1' },
    },
  );
  if (child.error !== undefined) throw child.error;
  return child.status ?? 1;
}

let late: (() => void) | undefined;

/**
 * `global.gc`, or, when node started without `--expose-gc` (a test runner's worker), one obtained
 * by setting the flag at run time and reading `gc` from a fresh context: V8 documents flags set
 * after start-up as unsupported, so the bench scripts re-execute instead and only the soak test
 * relies on this.
 */
export function gcFunction(): (() => void) | undefined {
  const g = (globalThis as { gc?: unknown }).gc;
  if (typeof g === 'function') return g as () => void;
  if (late !== undefined) return late;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    if (typeof fn === 'function') late = fn as () => void;
  } catch {
    late = undefined;
  }
  return late;
}

/** Runs a full collection (twice: weak references and finalizers settle on the second). */
export function fullGc(): void {
  const gc = gcFunction();
  gc?.();
  gc?.();
}

/**
 * Memory in use after a full collection: the JS heap plus ArrayBuffer backing stores (typed
 * arrays, e.g. histogram counts, live outside `heapUsed`; leaving them out would hide them).
 */
export function heapAfterGc(): number {
  fullGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
