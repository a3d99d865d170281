/**
 * The fleet tests' redis-server: the demo's launcher (src/demo/redis-server.ts), after checking
 * that the Debian package is installed (the global set-up installs it when run as root).
 */

import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import {
  RedisServer as Launcher,
  REDIS_SERVER,
  type RedisServerOptions,
} from '../../../src/demo/redis-server.ts';
import { requireBinary } from '../../http/system-packages.ts';

export { freePort, REDIS_SERVER } from '../../../src/demo/redis-server.ts';

export const RedisServer = {
  start(options?: RedisServerOptions): Promise<Launcher> {
    requireBinary(REDIS_SERVER, 'redis-server');
    return Launcher.start(options);
  },
};
export type RedisServer = Launcher;

/**
 * A redis-server of the calling test file's own, and an admin client on it: started before the
 * file's tests, stopped after them. Read `server` and `admin` inside tests and hooks.
 */
export function useRedisServer(): { readonly server: RedisServer; readonly admin: Redis } {
  const ctx = {} as { server: RedisServer; admin: Redis };
  beforeAll(async () => {
    ctx.server = await RedisServer.start();
    ctx.admin = new Redis(ctx.server.url);
  });
  afterAll(async () => {
    ctx.admin.disconnect();
    await ctx.server.stop();
  });
  return ctx;
}
