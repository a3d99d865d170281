/**
 * The fleet tests' redis-server: the demo's launcher (src/demo/redis-server.ts), after checking
 * that the Debian package is installed (the global set-up installs it when run as root).
 */

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
