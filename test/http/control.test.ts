/**
 * POST /services/:name/reset | force-open | disable: token rules (disabled without a token, 401
 * without credentials, 403 with a wrong token), unknown services, and the state each action leaves.
 */
import { describe, expect, it } from 'vitest';
import type { StateChangeEvent } from '../../src/events.ts';
import { fail, request, startRig } from './helpers.ts';

const TOKEN = 'correct-horse-battery';
const auth = (token = TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}` });

interface ErrorBody {
  error: { code: string; message: string };
}

describe('control endpoints', () => {
  it('are disabled (403 ERR_CONTROL_DISABLED) when no token is configured, whatever is sent', async () => {
    await using rig = await startRig(['alpha']);
    for (const headers of [{}, auth(), auth('anything-at-all')]) {
      const res = await request(rig.url, '/services/alpha/force-open', { method: 'POST', headers });
      expect(res.status).toBe(403);
      const body = res.json<ErrorBody>();
      expect(body.error.code).toBe('ERR_CONTROL_DISABLED');
      expect(body.error.message).toMatch(/token/);
    }
    expect(rig.sup.state('alpha')).toBe('closed');
  });

  it('401 without bearer credentials, with a WWW-Authenticate challenge', async () => {
    await using rig = await startRig(['alpha'], { token: TOKEN });
    for (const headers of [
      {},
      { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` },
      { authorization: 'Bearer' },
    ]) {
      const res = await request(rig.url, '/services/alpha/force-open', { method: 'POST', headers });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="breakwater"');
      expect(res.json<ErrorBody>().error.code).toBe('ERR_UNAUTHORIZED');
    }
    expect(rig.sup.state('alpha')).toBe('closed');
  });

  it('403 with a wrong token (longer, shorter, or differing in one character)', async () => {
    await using rig = await startRig(['alpha'], { token: TOKEN });
    for (const token of [`${TOKEN}x`, TOKEN.slice(0, -1), `${TOKEN.slice(0, -1)}Y`]) {
      const res = await request(rig.url, '/services/alpha/force-open', {
        method: 'POST',
        headers: auth(token),
      });
      expect(res.status).toBe(403);
      expect(res.json<ErrorBody>().error.code).toBe('ERR_FORBIDDEN');
    }
    expect(rig.sup.state('alpha')).toBe('closed');
  });

  it('checks the token before revealing whether a service exists', async () => {
    await using rig = await startRig(['alpha'], { token: TOKEN });
    const anonymous = await request(rig.url, '/services/ghost/reset', { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const res = await request(rig.url, '/services/ghost/reset', { method: 'POST', headers: auth() });
    expect(res.status).toBe(404);
    expect(res.json<ErrorBody>().error).toEqual({
      code: 'ERR_UNKNOWN_SERVICE',
      message: 'no service named "ghost" is registered',
    });
  });

  it('force-open, disable and reset change the state, each with one manual stateChange event', async () => {
    await using rig = await startRig(['alpha'], { token: TOKEN });
    const events: StateChangeEvent[] = [];
    rig.sup.on('stateChange', (e) => events.push(e));

    const forced = await request(rig.url, '/services/alpha/force-open', { method: 'POST', headers: auth() });
    expect(forced.status).toBe(200);
    expect(forced.json()).toEqual({ service: 'alpha', action: 'force-open', state: 'forced-open' });
    await expect(rig.sup.run('alpha', () => 1)).rejects.toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });

    const disabled = await request(rig.url, '/services/alpha/disable', { method: 'POST', headers: auth() });
    expect(disabled.json()).toEqual({ service: 'alpha', action: 'disable', state: 'disabled' });

    const reset = await request(rig.url, '/services/alpha/reset', { method: 'POST', headers: auth() });
    expect(reset.json()).toEqual({ service: 'alpha', action: 'reset', state: 'closed' });

    expect(events.map((e) => [e.from, e.to, e.reason])).toEqual([
      ['closed', 'forced-open', 'manual'],
      ['forced-open', 'disabled', 'manual'],
      ['disabled', 'closed', 'manual'],
    ]);
  });

  it('reset closes a breaker that tripped', async () => {
    await using rig = await startRig(['alpha'], { token: TOKEN });
    await fail(rig.sup, 'alpha');
    expect(rig.sup.state('alpha')).toBe('open');
    const res = await request(rig.url, '/services/alpha/reset', { method: 'POST', headers: auth() });
    expect(res.json()).toMatchObject({ state: 'closed' });
    expect(await rig.sup.run('alpha', () => 'served')).toBe('served');
  });

  it('decodes percent-encoded service names', async () => {
    await using rig = await startRig(['blob storage/eu'], { token: TOKEN });
    const res = await request(rig.url, `/services/${encodeURIComponent('blob storage/eu')}/force-open`, {
      method: 'POST',
      headers: auth(),
    });
    expect(res.status).toBe(200);
    expect(rig.sup.state('blob storage/eu')).toBe('forced-open');
  });
});
