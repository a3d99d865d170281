/**
 * A pool that is broken (a thread that did not exit after terminate(), scenario 7) or cannot load
 * its module (scenario 18), as `sup.health()` reports it: the service is unhealthy with the pool's
 * reason, the supervisor degraded or down, and healthy again once the pool recovers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { LOAD_RETRY_BASE_MS, TERMINATE_GRACE_MS } from '../../src/pool/threads.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Bus, codeOf, fixture, LogTap, releaseFifo, untilBlockedInRead } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

describe.skipIf(process.platform === 'win32')('a broken pool in sup.health() (scenario 7)', () => {
  const clock = new ManualClock(0);
  const log = new LogTap();
  const sup = new Supervisor({ clock, logger: log });
  sup.register('stuck', {
    worker: fixture('handlers.ts'),
    threads: { min: 1, max: 1 },
    breaker: { trip: { kind: 'consecutive', threshold: 5 }, callTimeoutMs: 100 },
  });
  sup.register('inline', {});
  const dir = mkdtempSync(join(tmpdir(), 'breakwater-health-'));
  const fifo = join(dir, 'block');
  execFileSync('mkfifo', [fifo]);
  afterAll(async () => {
    await sup.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is unhealthy with the reason while the thread is stuck, and healthy again after it exits', async () => {
    const blocked = codeOf(sup.call('stuck', 'blockOnFifo', ['h-fifo', fifo]));
    await bus.when('h-fifo');
    await untilBlockedInRead(fifo);
    await clock.advanceAsync(100);
    expect(await blocked).toBe(ErrorCode.CallTimeout);
    // The breaker is still closed (1 failure of 5): only the pool makes the service unhealthy.
    expect(sup.state('stuck')).toBe('closed');
    expect(sup.health()).toMatchObject({ status: 'ok' });
    // Its heartbeat stopped: the pool terminates it, but terminate() can't interrupt read(2).
    await log.until('terminating worker thread', 1);
    await clock.advanceAsync(TERMINATE_GRACE_MS);
    expect(sup.metrics('stuck').pool?.broken).toBe(true);
    expect(sup.health()).toEqual({
      status: 'degraded',
      services: {
        stuck: {
          healthy: false,
          state: 'closed',
          message: 'worker pool is broken: 1 thread(s) did not stop after terminate()',
        },
        inline: { healthy: true, state: 'closed', message: 'closed: calls flow normally' },
      },
    });
    releaseFifo(fifo);
    await log.until('worker thread stopped', 1);
    expect(sup.metrics('stuck').pool?.broken).toBe(false);
    expect(sup.health().status).toBe('ok');
    expect(await sup.call('stuck', 'add', [1, 2])).toBe(3);
  });
});

describe('a pool whose module cannot load in sup.health() (scenario 18)', () => {
  const clock = new ManualClock(0);
  const sup = new Supervisor({ clock });
  sup.register('unloadable', {
    worker: fixture('throws-at-load.ts'),
    threads: { min: 1, max: 1 },
    breaker: { trip: { kind: 'consecutive', threshold: 100 }, callTimeoutMs: 0 },
  });
  afterAll(() => sup.close());

  it('is down with the load error and the backoff, and each failed load is one breaker failure', async () => {
    const first = codeOf(sup.call('unloadable', 'use', []));
    expect(await first).toBe(ErrorCode.WorkerLoad);
    expect(sup.health()).toMatchObject({
      status: 'down',
      services: {
        unloadable: {
          healthy: false,
          message: `worker module failed to load (1x): config missing at load; next attempt in ${LOAD_RETRY_BASE_MS} ms`,
        },
      },
    });
    // Backing off: calls fail at once, still as breaker failures, and start no thread.
    expect(await codeOf(sup.call('unloadable', 'use', []))).toBe(ErrorCode.WorkerLoad);
    expect(sup.metrics('unloadable')).toMatchObject({ failedRequests: 2, pool: { restarts: 0 } });
  });
});
