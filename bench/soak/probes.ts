/**
 * What the soak watches in the process: heap after a full gc, OS threads, active handles, process
 * listeners, and live timers (unref'd included, see ../lib/timers.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { heapAfterGc } from '../lib/gc.ts';

export interface ProcessProbe {
  readonly heapBytes: number;
  /** Threads of this process (Linux /proc; -1 elsewhere): main, V8, libuv, workers. */
  readonly osThreads: number;
  /** `process.getActiveResourcesInfo()` by type (things that keep the loop alive). */
  readonly resources: Readonly<Record<string, number>>;
  /** Listeners on `process`, all events together. */
  readonly processListeners: number;
}

export function osThreads(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const m = /^Threads:\s+(\d+)/m.exec(status);
    return m === null ? -1 : Number(m[1]);
  } catch {
    return -1;
  }
}

/** This process's OS thread ids (Linux /proc; empty elsewhere). */
export function threadIds(): Set<number> {
  try {
    return new Set(readdirSync('/proc/self/task').map(Number));
  } catch {
    return new Set();
  }
}

/** Thread ids in `now` and not in `before`, with how long each has been alive (Linux only). */
export function newThreads(before: ReadonlySet<number>, now: ReadonlySet<number>): string[] {
  const out: string[] = [];
  let uptimeS = Number.NaN;
  try {
    uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  } catch {}
  for (const tid of now) {
    if (before.has(tid)) continue;
    let age = '?';
    try {
      // Field 22 of stat (after the parenthesised name) is the start time in clock ticks (100/s).
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const started = Number(fields[19]) / 100;
      age = `${(uptimeS - started).toFixed(1)} s`;
    } catch {}
    out.push(`tid ${tid} (alive ${age})`);
  }
  return out;
}

export function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

export function processListeners(): number {
  return process.eventNames().reduce((n, e) => n + process.listenerCount(e), 0);
}

export function probe(): ProcessProbe {
  return {
    heapBytes: heapAfterGc(),
    osThreads: osThreads(),
    resources: resources(),
    processListeners: processListeners(),
  };
}

/** Resource types whose count grew from `before` to `after`, as `Type a→b`. */
export function grownResources(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): string[] {
  return Object.keys(after)
    .filter((k) => (after[k] ?? 0) > (before[k] ?? 0))
    .map((k) => `${k} ${before[k] ?? 0}→${after[k]}`);
}

/** A deterministic 32-bit hash of the call index (splitmix32), so a run is the same every time. */
export function hash32(i: number, seed: number): number {
  let z = (i + seed * 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
