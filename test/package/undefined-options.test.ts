/**
 * Optional options accept `undefined` (exactOptionalPropertyTypes users write `token:
 * process.env.X`): an option set to `undefined` behaves exactly as one left out, at every level,
 * and never hides a supervisor-wide default.
 */
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import { ManualClock, Supervisor } from '../../src/index.ts';

describe('options set to undefined', () => {
  it('register() with every option undefined gets the defaults', async () => {
    const sup = new Supervisor({ clock: new ManualClock(), logger: undefined, defaults: undefined });
    sup.register('svc', {
      breaker: {
        trip: { kind: 'consecutive', threshold: undefined, windowMs: undefined },
        openMs: undefined,
        backoff: { kind: 'exponential', factor: undefined, maxMs: undefined, jitter: undefined },
        halfOpen: { maxCalls: undefined, successThreshold: undefined, maxWaitMs: undefined },
        callTimeoutMs: undefined,
        isFailure: undefined,
      },
      fallback: undefined,
      fallbackOnFailure: undefined,
      latencySampleEvery: undefined,
      worker: undefined,
    });
    for (let i = 0; i < 5; i++) await sup.runResult('svc', () => Promise.reject(new Error('down')));
    expect(sup.state('svc')).toBe('open'); // the default threshold of 5
    const r = await sup
      .run('svc', () => 'x', { signal: undefined, timeoutMs: undefined, fallback: undefined })
      .catch((e: { code?: string }) => e.code);
    expect(r).toBe('ERR_CIRCUIT_OPEN');
    await sup.close();
  });

  it('an undefined service option does not hide the supervisor default', async () => {
    const sup = new Supervisor({
      clock: new ManualClock(),
      defaults: {
        fallback: { value: 'cached' },
        breaker: { trip: { kind: 'consecutive', threshold: 1 }, halfOpen: { maxCalls: 2 } },
      },
    });
    sup.register('svc', {
      fallback: undefined,
      breaker: { trip: undefined, halfOpen: { maxCalls: undefined } },
    });
    await sup.runResult('svc', () => Promise.reject(new Error('down')));
    expect(sup.state('svc')).toBe('open');
    await expect(sup.run('svc', () => 'fresh')).resolves.toBe('cached');
    await sup.close();
  });

  it('createAdminServer() with undefined options serves on the defaults, control disabled', async () => {
    const sup = new Supervisor();
    const admin = createAdminServer(sup, {
      token: undefined,
      port: undefined,
      host: undefined,
      logger: undefined,
    });
    const { url } = await admin.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await admin.close();
    await sup.close();
  });
});
