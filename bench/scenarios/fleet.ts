/**
 * Scenario: fleet mode (breakwater/redis) against a real redis-server that the scenario starts on
 * a free 127.0.0.1 port (the Debian package; without it every fleet figure is n/a). In order:
 * - the hot path: an inline success call through a supervisor with a connected RedisFleet vs
 *   without, paired rounds, with an A/A pair of fleet-less supervisors for the noise floor, and
 *   the Redis commands those calls cost (fleet-hot-path.ts);
 * - open propagation between processes: one node process trips, the others report `stateChange`
 *   with reason `fleet`; each delay is read on one clock (fleet-processes.ts);
 * - probes per half-open period fleet-wide while every process keeps calling.
 * The node processes and redis-server are killed / stopped at the end, also when a step fails.
 */
import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import type { FleetNodeProcess } from '../../src/demo/fleet-nodes.ts';
import { REDIS_SERVER, RedisServer } from '../../src/demo/redis-server.ts';
import { formatMs } from '../lib/format.ts';
import { byId } from '../lib/measure.ts';
import { single } from '../lib/ratios.ts';
import {
  asFigure,
  caseJson,
  caseTable,
  comparisonTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';
import { measureHotPath } from './fleet-hot-path.ts';
import {
  MAX_CALLS,
  measureProbes,
  measurePropagation,
  OPEN_MS,
  percentile,
  startNodes,
  WAIT_MS,
  within,
} from './fleet-processes.ts';

const TITLE = 'Fleet mode over Redis: open propagation between processes, hot path, commands, probes';

function notInstalled(): ScenarioResult {
  return {
    name: 'fleet',
    title: TITLE,
    notes: [
      `n/a: ${REDIS_SERVER} is not installed (Debian package redis-server: apt-get install -y redis-server), so no fleet figure was measured.`,
    ],
    tables: [],
    comparisons: [],
    figures: {},
    charts: [],
    data: { skipped: 'redis-server not installed' },
  };
}

export const fleet: Scenario = {
  name: 'fleet',
  title: TITLE,
  async run(ctx): Promise<ScenarioResult> {
    const { cfg, progress } = ctx;
    if (!existsSync(REDIS_SERVER)) {
      const result = notInstalled();
      progress.line(result.notes[0]!);
      return result;
    }
    // Quick: 3 processes (each takes ~1 s of CPU to start under tsx), so the scenario stays ~5 s.
    const processes = cfg.quick ? 3 : 5;
    const trips = cfg.quick ? 8 : 40;
    const periods = cfg.quick ? 1 : 3;
    const server = await RedisServer.start();
    const admin = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    const nodes: FleetNodeProcess[] = [];
    try {
      await within(admin.connect(), WAIT_MS, 'connecting to redis-server');
      const hot = await measureHotPath(ctx, server.url, admin);
      const perCall = hot.commands / hot.calls;
      progress.line(
        `hot path with a fleet ${hot.attached.value.toFixed(3)}x without (A/A ${hot.aa.value.toFixed(3)}x); ${hot.commands} Redis commands over ${hot.calls} calls`,
      );

      await startNodes(server.url, processes, nodes);
      const propagation = await measurePropagation(nodes, trips, progress);
      const sorted = [...propagation.delaysMs].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const p99 = percentile(sorted, 99);
      const cycles = await measureProbes(nodes, periods, progress);
      // The figure is the period furthest from halfOpen.maxCalls: every period must be exact.
      const worst = cycles.reduce((w, c) =>
        Math.abs(c.probes - MAX_CALLS) > Math.abs(w.probes - MAX_CALLS) ? c : w,
      );
      const probeCounts = cycles.map((c) => c.probes);
      const reports = await Promise.all(nodes.map((n) => within(n.report(), WAIT_MS, `${n.name}'s report`)));
      progress.line(
        `open propagation p50 ${formatMs(p50)}, p99 ${formatMs(p99)} (${sorted.length} adoptions); probes per half-open period ${probeCounts.join(', ')}`,
      );

      const clocks = Object.values(propagation.clocks);
      const comparisons = [hot.attached, hot.aa];
      return {
        name: 'fleet',
        title: TITLE,
        notes: [
          `A real redis-server on 127.0.0.1, started by the scenario. Node processes: ${processes}${cfg.quick ? ' (quick run; 5 in a full run)' : ''}, each a Supervisor with a RedisFleet (heartbeat 100 ms) and one service: consecutive(3), openMs ${OPEN_MS}, halfOpen { maxCalls: ${MAX_CALLS}, successThreshold: ${MAX_CALLS} }.`,
          'Hot path: `run()` of an async function returning 1 (`callTimeoutMs: 0`) in this process, before any node process starts; the cases alternate every 1,000 calls (bench/lib/interleaved.ts). The fleet is connected, its heartbeat set to 60 s so that its one command per beat (per node, not per call) stays out of the command count.',
          `Propagation: ${trips} trips, each by the next process in turn, then a fleet-wide reset. A delay runs from the tripping process's stateChange to another process's stateChange (reason fleet), each stamped by its process and corrected by that process's clock offset, measured over IPC (offsets ${clocks.map((c) => formatMs(c.offsetMs)).join(', ')}; uncertainty ≤${formatMs(Math.max(...clocks.map((c) => c.errorMs)))}). The tripping process publishes the open before it emits its own stateChange (the fleet hears of a transition before listeners do), so when the processes compete for the CPUs a delay can read below zero.`,
          `Probes: ${periods} outage(s) while every process calls every 2 ms; probes take 20 ms, so every permit is used; the figure is the period furthest from halfOpen.maxCalls.`,
        ],
        tables: [
          caseTable('Inline success with and without a fleet', hot.stats, byId(hot.stats, 'local')),
          comparisonTable('Ratios (paired by round)', comparisons),
          {
            title: 'Redis commands during the hot-path rounds',
            header: ['successful calls', 'commands', 'per call'],
            rows: [[String(hot.calls), String(hot.commands), String(perCall)]],
          },
          {
            title: 'Open propagation between processes',
            header: ['adoptions', 'p50', 'p99', 'min', 'max'],
            rows: [[String(sorted.length), ...[p50, p99, sorted[0]!, sorted.at(-1)!].map(formatMs)]],
          },
          {
            title: `Half-open periods across ${processes} processes (halfOpen.maxCalls ${MAX_CALLS})`,
            header: ['tripped by', 'half-open transitions', 'probes fleet-wide', 'probes per process'],
            rows: cycles.map((c) => [
              c.tripper,
              String(c.halfOpens),
              String(c.probes),
              c.perNode.join(' / '),
            ]),
          },
        ],
        comparisons,
        figures: {
          fleet_open_propagation_p99_ms: single(
            p99,
            `trip in one process → stateChange (fleet) in another: p50 ${formatMs(p50)}, p99 ${formatMs(p99)} over ${sorted.length} adoptions, ${processes} processes`,
          ),
          fleet_attached_vs_local: asFigure(hot.attached),
          fleet_redis_commands_per_call: single(
            perCall,
            `${hot.commands} commands over ${hot.calls} successful calls`,
          ),
          fleet_probes_per_half_open: {
            value: worst.probes,
            min: Math.min(...probeCounts),
            max: Math.max(...probeCounts),
            detail: `probes fleet-wide per half-open period across ${processes} processes (${periods} periods), halfOpen.maxCalls ${MAX_CALLS}`,
          },
        },
        charts: [],
        data: {
          hotPath: {
            cases: hot.stats.map(caseJson),
            attached: hot.attached,
            aa: hot.aa,
            commands: hot.commands,
            calls: hot.calls,
          },
          propagation: {
            processes,
            trips,
            clocks: propagation.clocks,
            delaysMs: propagation.delaysMs.map((d) => Number(d.toFixed(3))),
            p50Ms: p50,
            p99Ms: p99,
          },
          halfOpenPeriods: cycles,
          nodes: reports.map((r) => ({
            node: r.node,
            issued: r.issued,
            otherErrors: r.otherErrors,
            blocked: r.blocked,
            probes: r.probes,
          })),
        },
      };
    } finally {
      await Promise.all(nodes.map((n) => n.kill()));
      admin.disconnect();
      await server.stop();
    }
  },
};
