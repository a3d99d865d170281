/**
 * The fleet scenario's half across processes: node processes (src/demo/fleet-node.ts, one
 * Supervisor + RedisFleet + service `pay` each) on one redis-server. Open propagation from one
 * process's trip to the others' adoptions, and the probes of each half-open period fleet-wide.
 * Every wait is on a message from a process and bounded in time; every loop is bounded in count.
 */
import { performance } from 'node:perf_hooks';
import { FleetNodeProcess, type NodeMessage } from '../../src/demo/fleet-nodes.ts';
import type { Progress } from '../lib/progress.ts';

/** halfOpen.maxCalls of every node: the goal of fleet_probes_per_half_open (bench/goals.ts). */
export const MAX_CALLS = 2;
/** Long enough that a propagation round (trip, spread, fleet-wide reset) ends well within it. */
export const OPEN_MS = 400;
/** Upper bound of any single wait on the processes or Redis. */
export const WAIT_MS = 10_000;

/** `p`, or a rejection naming `what` once `ms` passed. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`fleet bench: ${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Starts `n` node processes into `into` (so the caller kills every one started, also when one of
 * them fails) and resolves once each is connected.
 */
export async function startNodes(url: string, n: number, into: FleetNodeProcess[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    into.push(
      new FleetNodeProcess(url, 'bench-fleet:', `p${i}`, {
        openMs: OPEN_MS,
        maxCalls: MAX_CALLS,
        killAfterMs: 120_000,
      }),
    );
  }
  await within(
    Promise.all(into.map((node) => node.next((m) => m.type === 'ready'))),
    30_000,
    `${n} node processes connecting`,
  );
}

/** This host's clock as the node processes read it (fleet-node.ts stamps its events with it). */
function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface ClockOffset {
  /** How far the process's clock reads ahead of ours. */
  readonly offsetMs: number;
  /** Bound of the estimate: half the shortest IPC round trip. */
  readonly errorMs: number;
}

/**
 * Each process stamps its events with its own `performance.timeOrigin + now()`; the origin is fixed
 * per process at start-up, so the offset between two processes is measured rather than assumed
 * (on this host it came out at ~0.02 ms, within the estimate's bound).
 */
async function clockOffset(node: FleetNodeProcess): Promise<ClockOffset> {
  let best = { offsetMs: 0, errorMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 8; i++) {
    const from = node.messages.length;
    const t0 = wallNow();
    node.child.send({ cmd: 'clock' });
    const m = await within(
      node.next((r) => r.type === 'clock', from),
      WAIT_MS,
      `${node.name}'s clock`,
    );
    const t1 = wallNow();
    if ((t1 - t0) / 2 < best.errorMs) {
      best = { offsetMs: (m.wall as number) - (t0 + t1) / 2, errorMs: (t1 - t0) / 2 };
    }
  }
  return best;
}

/** Trips `tripper`; resolves with its open and every other node's adoption of it. */
async function tripAndSpread(tripper: FleetNodeProcess, nodes: readonly FleetNodeProcess[]) {
  const own = tripper.state('open');
  const adopted = nodes.filter((n) => n !== tripper).map((n) => n.state('open'));
  await tripper.send({ cmd: 'mode', mode: 'fail' });
  await tripper.send({ cmd: 'calls', n: 3 }); // consecutive threshold 3 in fleet-node.ts
  const [trip, ...opens] = await within(
    Promise.all([own, ...adopted]),
    WAIT_MS,
    'the open reaching every process',
  );
  for (const o of opens) {
    if (o.reason !== 'fleet')
      throw new Error(`fleet bench: ${o.node} opened with reason ${String(o.reason)}`);
  }
  return { trip: trip!, opens };
}

export interface Propagation {
  /** Trip → adoption, ms on one clock, one per adopting process per trip. */
  readonly delaysMs: readonly number[];
  readonly clocks: Readonly<Record<string, ClockOffset>>;
}

/** `trips` trips, each by the next process in turn, each followed by a fleet-wide reset. */
export async function measurePropagation(
  nodes: readonly FleetNodeProcess[],
  trips: number,
  progress: Progress,
): Promise<Propagation> {
  const clocks: Record<string, ClockOffset> = {};
  for (const n of nodes) clocks[n.name] = await clockOffset(n);
  const onOurClock = (m: NodeMessage): number => (m.wall as number) - clocks[m.node]!.offsetMs;
  const delaysMs: number[] = [];
  for (let t = 0; t < trips; t++) {
    const tripper = nodes[t % nodes.length]!;
    const { trip, opens } = await tripAndSpread(tripper, nodes);
    for (const o of opens) delaysMs.push(onOurClock(o) - onOurClock(trip));
    const closed = nodes.map((n) => n.state('closed'));
    await tripper.send({ cmd: 'reset-fleet' });
    await within(Promise.all(closed), WAIT_MS, 'the fleet-wide reset');
    await tripper.send({ cmd: 'mode', mode: 'ok' });
    progress.step('open propagation between processes', t + 1, trips);
  }
  return { delaysMs, clocks };
}

export interface HalfOpenPeriod {
  readonly tripper: string;
  /** Probes fleet-wide, and per process. */
  readonly probes: number;
  readonly perNode: readonly number[];
  /** open -> half-open transitions fleet-wide (1: only the lease holder). */
  readonly halfOpens: number;
}

/** One outage and recovery while every process keeps calling. */
async function halfOpenPeriod(tripper: FleetNodeProcess, nodes: readonly FleetNodeProcess[]) {
  const marks = nodes.map((n) => n.messages.length);
  const closed = nodes.map((n) => n.state('closed'));
  await tripAndSpread(tripper, nodes);
  for (const n of nodes) await n.send({ cmd: 'mode', mode: 'fail' });
  // Bounded: 2,000 calls at most per process (4 s at one call per 2 ms), stopped sooner below.
  for (const n of nodes) await n.send({ cmd: 'load', everyMs: 2, max: 2_000 });
  // The upstream is back; each probe takes 20 ms, so every permit of the period is used.
  for (const n of nodes) await n.send({ cmd: 'mode', mode: 'slow-ok' });
  await within(Promise.all(closed), OPEN_MS * 3 + WAIT_MS, 'the half-open period closing every process');
  for (const n of nodes) await n.send({ cmd: 'stop' });
  for (const n of nodes) await n.send({ cmd: 'mode', mode: 'ok' });
  const since = (i: number): NodeMessage[] => nodes[i]!.messages.slice(marks[i]);
  const perNode = nodes.map((_, i) => since(i).filter((m) => m.type === 'probe').length);
  let halfOpens = 0;
  for (let i = 0; i < nodes.length; i++) {
    halfOpens += since(i).filter(
      (m) => m.type === 'event' && m.event === 'stateChange' && m.to === 'half-open',
    ).length;
  }
  const probes = perNode.reduce((a, b) => a + b, 0);
  return { tripper: tripper.name, probes, perNode, halfOpens };
}

/** `periods` outages, each tripped by the next process in turn. */
export async function measureProbes(
  nodes: readonly FleetNodeProcess[],
  periods: number,
  progress: Progress,
): Promise<HalfOpenPeriod[]> {
  const out: HalfOpenPeriod[] = [];
  for (let p = 0; p < periods; p++) {
    out.push(await halfOpenPeriod(nodes[p % nodes.length]!, nodes));
    progress.step('probes per half-open period', p + 1, periods);
  }
  return out;
}

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
