/**
 * Scenario 15 through the Supervisor: `sup.close({ drain, timeoutMs })` with pool calls running
 * and queued. Drain finishes them within the bound, otherwise they reject ERR_SUPERVISOR_CLOSED
 * (counted as aborted, never as failures); afterwards no thread, timer or listener is left
 * (scenario 4 of "nothing lost"). Each test owns its supervisor, since close() ends it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.ts';
import { Supervisor } from '../../src/supervisor/supervisor.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';
import { Bus, codeOf, fixture, LogTap } from './helpers.ts';

const bus = new Bus();
afterAll(() => bus.close());

function setup(threads = 1) {
  const clock = new ManualClock(0);
  const log = new LogTap();
  const sup = new Supervisor({ clock, logger: log });
  sup.register('pooled', {
    worker: fixture('handlers.ts'),
    threads: { min: threads, max: threads },
    breaker: { trip: { kind: 'consecutive', threshold: 1 }, callTimeoutMs: 0 },
  });
  sup.register('inline', {});
  const events: string[] = [];
  sup.on('stateChange', (e) => events.push(`${e.service}:${e.from}->${e.to}`));
  return { clock, log, sup, events };
}

describe('Supervisor.close() with pool calls (scenario 15)', () => {
  it('drain: running and queued pool calls finish; new calls are refused; nothing is left', async () => {
    const { clock, sup, events } = setup();
    const running = sup.call('pooled', 'gate', ['sc-drain']);
    await bus.when('sc-drain');
    const queued = sup.call('pooled', 'add', [20, 22]);
    expect(sup.metrics('pooled').pool).toMatchObject({ running: 1, queued: 1 });
    const closed = sup.close({ drain: true, timeoutMs: 10_000 });
    expect(await codeOf(sup.call('pooled', 'add', [1, 1]))).toBe(ErrorCode.SupervisorClosed);
    expect(await codeOf(sup.run('inline', () => 1))).toBe(ErrorCode.SupervisorClosed);
    bus.release('sc-drain');
    expect(await Promise.all([running, queued])).toEqual(['sc-drain', 42]);
    await closed;
    expect(sup.metrics('pooled')).toMatchObject({
      successfulRequests: 2,
      failedRequests: 0,
      inFlight: 0,
      pool: { threads: 0, running: 0, queued: 0 },
    });
    expect(clock.pendingTimers).toBe(0);
    expect(sup.listenerCount('stateChange')).toBe(0);
    expect(events).toEqual([]);
  });

  it('drain: what is still running or queued when timeoutMs is up rejects ERR_SUPERVISOR_CLOSED, not a failure', async () => {
    const { clock, sup, events } = setup();
    const running = codeOf(sup.call('pooled', 'hang', ['sc-late']));
    await bus.when('sc-late');
    const queued = codeOf(sup.call('pooled', 'add', [1, 1]));
    const closed = sup.close({ drain: true, timeoutMs: 1_000 });
    await clock.advanceAsync(999);
    expect(sup.metrics('pooled').inFlight).toBe(2);
    await clock.advanceAsync(1);
    expect(await running).toBe(ErrorCode.SupervisorClosed);
    expect(await queued).toBe(ErrorCode.SupervisorClosed);
    await closed;
    expect(sup.state('pooled')).toBe('closed');
    expect(events).toEqual([]);
    expect(sup.metrics('pooled')).toMatchObject({
      failedRequests: 0,
      abortedRequests: 0,
      rejectedRequests: 2,
      inFlight: 0,
      pool: { threads: 0 },
    });
    expect(clock.pendingTimers).toBe(0);
  });

  it('without drain: running and queued pool calls reject at once, the thread is gone', async () => {
    const { clock, sup } = setup();
    const running = codeOf(sup.call('pooled', 'hang', ['sc-now']));
    await bus.when('sc-now');
    const queued = codeOf(sup.call('pooled', 'add', [1, 1]));
    await sup.close();
    expect(await running).toBe(ErrorCode.SupervisorClosed);
    expect(await queued).toBe(ErrorCode.SupervisorClosed);
    expect(sup.metrics('pooled')).toMatchObject({ failedRequests: 0, inFlight: 0, pool: { threads: 0 } });
    expect(sup.health().services.pooled).toMatchObject({ healthy: false, message: 'worker pool is closed' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('drain: a thread that crashes while draining is not replaced, and its call is the only failure', async () => {
    const { log, sup } = setup(2);
    await log.until('worker thread started', 2);
    const ok = sup.call('pooled', 'gate', ['sc-crash-ok']);
    const crash = codeOf(sup.call('pooled', 'exitMidCall', ['sc-crash', 1]));
    await Promise.all([bus.when('sc-crash-ok'), bus.when('sc-crash')]);
    const closed = sup.close({ drain: true, timeoutMs: 10_000 });
    expect(await crash).toBe(ErrorCode.WorkerCrashed);
    bus.release('sc-crash-ok');
    expect(await ok).toBe('sc-crash-ok');
    await closed;
    expect(log.count('worker thread started')).toBe(2);
    expect(sup.metrics('pooled')).toMatchObject({
      failedRequests: 1,
      successfulRequests: 1,
      pool: { threads: 0, crashes: 1, restarts: 0 },
    });
  });
});
