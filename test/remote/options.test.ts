/**
 * A remote client checks its call options in its own thread (issue 10): a typo, a fallback (which
 * can't cross threads) or an empty handler name is ERR_INVALID_OPTION naming the key, never dropped
 * on the way to the supervisor, and nothing is sent or counted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connectSupervisor, ManualClock, Supervisor } from '../../src/index.ts';

const sup = new Supervisor({ clock: new ManualClock(0) }).register('svc');
const client = connectSupervisor(sup.connect());

afterAll(async () => {
  await client.close();
  await sup.close();
});

describe('remote call options', () => {
  it.each([
    ['a typo of timeoutMs', { timeOutMs: 1 }, 'options.timeOutMs', 'did you mean `timeoutMs`?'],
    ['a fallback', { fallback: { value: 1 } }, 'options.fallback', 'a known option'],
    ['a typo of transferList', { transferlist: [] }, 'options.transferlist', 'did you mean `transferList`?'],
  ])('%s is refused', async (_label, options, field, text) => {
    const error = await client.call('svc', 'h', [], options as never).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field,
      message: expect.stringContaining(text),
    });
    const result = await client.callResult('svc', 'h', [], options as never);
    expect(result.ok === false && (result.error as { field?: unknown }).field).toBe(field);
  });

  it('an empty handler name is refused like in the supervisor', async () => {
    expect(await client.call('svc', '', []).catch((e: unknown) => e)).toMatchObject({
      code: 'ERR_INVALID_OPTION',
      field: 'handler',
    });
    expect(sup.metrics('svc').totalRequests).toBe(0);
  });
});
