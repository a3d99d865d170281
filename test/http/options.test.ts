/** Option validation of createAdminServer: every bad option names its field and value. */
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/http/index.ts';
import { resolveAdminServerOptions } from '../../src/http/options.ts';
import { Supervisor } from '../../src/index.ts';
import { ManualClock } from '../../src/time/manual-clock.ts';

describe('createAdminServer options', () => {
  const sup = new Supervisor({ clock: new ManualClock() });

  it.each([
    [{ port: -1 }, 'port', RangeError, 'port must be an integer between 0 and 65535, got -1'],
    [{ port: 1.5 }, 'port', RangeError, undefined],
    [{ port: '80' }, 'port', TypeError, undefined],
    [{ host: '' }, 'host', RangeError, undefined],
    [{ host: 7 }, 'host', TypeError, undefined],
    [{ token: 'short' }, 'token', RangeError, 'token must be at least 8 characters, got "<redacted>"'],
    [{ token: 'has a space in it' }, 'token', RangeError, undefined],
    [{ token: 12345678 }, 'token', TypeError, undefined],
    [{ maxSseClients: 0 }, 'maxSseClients', RangeError, undefined],
    [{ eventBufferSize: 0 }, 'eventBufferSize', RangeError, undefined],
    [{ maxBodyBytes: -1 }, 'maxBodyBytes', RangeError, undefined],
    [{ heartbeatMs: -5 }, 'heartbeatMs', RangeError, undefined],
    [{ dashboardPollMs: 10 }, 'dashboardPollMs', RangeError, undefined],
    [{ allowedHosts: 'localhost' }, 'allowedHosts', TypeError, undefined],
    [{ clock: {} }, 'clock', TypeError, undefined],
    [{ logger: console.log }, 'logger', TypeError, undefined],
    [{ tokne: 'misspelt-token' }, 'options.tokne', TypeError, undefined],
  ])('rejects %j (field %s)', (options, field, kind, message) => {
    let error: unknown;
    try {
      createAdminServer(sup, options as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(kind);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', field });
    if (message !== undefined) expect((error as Error).message).toBe(message);
    // A token never appears in an error message.
    expect((error as Error).message).not.toMatch(/short|has a space/);
  });

  it('rejects a non-object', () => {
    expect(() => createAdminServer(sup, 'fast' as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', field: 'options' }),
    );
  });

  it('fills defaults and does not mutate the caller object', () => {
    const input = Object.freeze({ token: 'a-long-token' });
    const resolved = resolveAdminServerOptions(input);
    expect(resolved).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      token: 'a-long-token',
      maxSseClients: 32,
      eventBufferSize: 256,
      maxBodyBytes: 4096,
      heartbeatMs: 15_000,
      dashboardPollMs: 2_000,
      clock: undefined,
      logger: undefined,
    });
    expect([...(resolved.allowedHosts ?? [])]).toEqual(['localhost', '127.0.0.1', '[::1]']);
    expect(input).toEqual({ token: 'a-long-token' });
  });

  it('accepts any Host when bound to a non-loopback address without allowedHosts', () => {
    expect(resolveAdminServerOptions({ host: '0.0.0.0' }).allowedHosts).toBeUndefined();
    expect([
      ...(resolveAdminServerOptions({ host: '0.0.0.0', allowedHosts: ['A.example'] }).allowedHosts ?? []),
    ]).toEqual(['a.example']);
  });
});
