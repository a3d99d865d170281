/**
 * The fleet scenario's in-process half: the hot path with a RedisFleet attached vs without, and
 * the Redis commands those calls cost (INFO commandstats before and after the rounds). It runs
 * before any node process exists, so every command counted is this process's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RedisFleet } from '../../src/fleet/index.ts';
import { Supervisor } from '../../src/index.ts';
import { inlineCase } from '../lib/cases.ts';
import { measureInterleaved } from '../lib/interleaved.ts';
import { byId, type CaseStats } from '../lib/measure.ts';
import { type Comparison, compareCost, type ScenarioContext } from '../lib/scenario.ts';

export interface HotPath {
  readonly stats: readonly CaseStats[];
  /** Cost with the fleet over the cost without. */
  readonly attached: Comparison;
  /** The two fleet-less supervisors against each other: the noise floor of `attached`. */
  readonly aa: Comparison;
  /** Redis commands executed during the rounds, and the successful calls made through the fleet. */
  readonly commands: number;
  readonly calls: number;
}

async function work(): Promise<number> {
  return 1;
}

/** Commands Redis executed so far, but the INFO calls that read the figure. */
async function commandCount(admin: Redis): Promise<number> {
  let n = 0;
  for (const m of (await admin.info('commandstats')).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) {
    if (m[1] !== 'info') n += Number(m[2]);
  }
  return n;
}

export async function measureHotPath(ctx: ScenarioContext, url: string, admin: Redis): Promise<HotPath> {
  const fleet = new RedisFleet({
    redis: url,
    prefix: 'bench-hot:',
    node: 'bench',
    // The heartbeat (one command per interval, per node, not per call) stays out of the count.
    heartbeatMs: 60_000,
  });
  const sups = {
    fleet: new Supervisor({ fleet }),
    lead: new Supervisor(),
    local: new Supervisor(),
    localB: new Supervisor(),
  };
  try {
    for (const sup of Object.values(sups)) sup.register('svc', { breaker: { callTimeoutMs: 0 } });
    const shared = sups.fleet;
    for (let i = 0; i < 1_000 && shared.fleetStatus()?.connected !== true; i++) await sleep(5);
    if (shared.fleetStatus()?.connected !== true) {
      throw new Error('fleet bench: the RedisFleet did not connect within 5 s');
    }
    const before = await commandCount(admin);
    const calls0 = shared.metrics('svc').successfulRequests;
    const stats = await measureInterleaved(
      'inline success, fleet attached vs not',
      [
        // The first case of a group ran 3-15% faster than identical ones after it in A/A runs of
        // this scenario (whichever case it was): a spare leads, and no ratio uses it.
        inlineCase('lead', 'no fleet, the spare that leads the group (unused)', 'floor', () =>
          sups.lead.run('svc', work),
        ),
        inlineCase('local', 'no fleet', 'breakwater', () => sups.local.run('svc', work)),
        inlineCase('fleet', 'RedisFleet attached (connected)', 'breakwater', () => shared.run('svc', work)),
        inlineCase('local-b', 'no fleet, a second supervisor (A/A)', 'floor', () =>
          sups.localB.run('svc', work),
        ),
      ],
      // Its goal leaves 5%: more rounds than a quick run's 5, so one disturbed round can't decide it.
      { ...ctx.cfg, rounds: Math.max(ctx.cfg.rounds, 9) },
      ctx.progress,
    );
    const commands = (await commandCount(admin)) - before;
    const calls = shared.metrics('svc').successfulRequests - calls0;
    if (shared.fleetStatus()?.connected !== true || shared.state('svc') !== 'closed') {
      throw new Error('fleet bench: the fleet disconnected or the breaker moved during the hot-path rounds');
    }
    const s = (id: string) => byId(stats, id).roundsNs;
    // Paired by round. The fleet case's reference is the mean of the two fleet-less cases around
    // it, so neither one's luck in a round decides the figure.
    const noFleet = s('local').map((ns, r) => (ns + s('local-b')[r]!) / 2);
    return {
      stats,
      attached: compareCost(
        'fleet attached: call cost over no fleet (mean of the two fleet-less supervisors)',
        s('fleet'),
        noFleet,
      ),
      aa: compareCost(
        'A/A: the second fleet-less supervisor over the first (noise floor)',
        s('local-b'),
        s('local'),
      ),
      commands,
      calls,
    };
  } finally {
    await Promise.all(Object.values(sups).map((sup) => sup.close()));
  }
}
