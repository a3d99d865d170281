/**
 * The internal seam for a fleet (src/supervisor/hooks.ts): a hook sees every committed transition
 * after its timer is armed and before its event; a gate can keep an open breaker open; transitions
 * decided elsewhere are applied with reason `fleet`; a throwing hook changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, Supervisor } from '../../src/index.ts';
import { attachHooks } from '../../src/supervisor/hooks.ts';
import { failing, record } from './helpers.ts';

const S = 'svc';

function setup() {
  const clock = new ManualClock(0);
  const logged: unknown[] = [];
  const logger = { info() {}, warn() {}, error: (obj: object) => logged.push(obj) };
  const sup = new Supervisor({ clock, logger }).register(S, {
    breaker: { trip: { kind: 'consecutive', threshold: 1 }, openMs: 1_000, callTimeoutMs: 0 },
  });
  return { clock, sup, logged, events: record(sup, 'stateChange') };
}

describe('attachHooks()', () => {
  it('transitioned() sees each transition once, committed, before its stateChange event', async () => {
    const { clock, sup, events } = setup();
    const seen: string[] = [];
    attachHooks(sup, {
      transitioned(service, t, b) {
        seen.push(`${service} ${t.from}->${t.to} ${t.reason} events=${events.length} state=${b.state}`);
      },
    });
    await sup.run(S, failing()).catch(() => {});
    clock.advance(1_000);
    await sup.run(S, async () => 1);
    expect(seen).toEqual([
      'svc closed->open failure-threshold events=0 state=open',
      'svc open->half-open recovery-timer events=1 state=half-open',
    ]);
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['closed->open', 'open->half-open']);
  });

  it('beforeHalfOpen() keeps an open breaker open until the time it names, for the timer and for calls', async () => {
    const { clock, sup, events } = setup();
    let until: number | null = 5_000;
    attachHooks(sup, { beforeHalfOpen: () => until });
    await sup.run(S, failing()).catch(() => {});
    clock.advance(1_000);
    expect(sup.metrics(S)).toMatchObject({ state: 'open', nextRecoveryAttempt: 5_000 });
    const rejected = await sup.run(S, async () => 1).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', retryAt: 5_000 });
    until = null;
    clock.advance(4_000);
    expect(sup.state(S)).toBe('half-open');
    expect(events.map((e) => `${e.to}:${e.reason}`)).toEqual([
      'open:failure-threshold',
      'half-open:recovery-timer',
    ]);
  });

  it('adopt() applies a state decided elsewhere with reason fleet, arming its timer', () => {
    const { clock, sup, events } = setup();
    const seen: string[] = [];
    const handle = attachHooks(sup, { transitioned: (_s, t) => seen.push(t.reason) });
    expect(handle.adopt(S, 'open', 2_500)).toBe(true);
    expect(handle.adopt(S, 'open')).toBe(false);
    expect(sup.metrics(S)).toMatchObject({ state: 'open', nextRecoveryAttempt: 2_500, opens: 1 });
    clock.advance(2_500);
    expect(sup.state(S)).toBe('half-open');
    expect(events.map((e) => `${e.to}:${e.reason}`)).toEqual(['open:fleet', 'half-open:recovery-timer']);
    expect(seen).toEqual(['fleet', 'recovery-timer']);
    expect(() => handle.adopt('nope', 'open')).toThrow(
      expect.objectContaining({ code: 'ERR_UNKNOWN_SERVICE' }),
    );
    handle.detach();
    handle.adopt(S, 'closed');
    expect(seen).toEqual(['fleet', 'recovery-timer']);
  });

  it('a throwing hook is reported and changes nothing', async () => {
    const { clock, sup, logged, events } = setup();
    attachHooks(sup, {
      transitioned() {
        throw new Error('publish failed');
      },
      beforeHalfOpen() {
        throw new Error('gate failed');
      },
    });
    await sup.run(S, failing()).catch(() => {});
    clock.advance(1_000);
    expect(sup.state(S)).toBe('half-open');
    expect(events).toHaveLength(2);
    expect(logged).toHaveLength(3);
  });
});
