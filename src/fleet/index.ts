/**
 * `breakwater/redis`: fleet mode. The only entry point that loads ioredis (an optional peer
 * dependency), so applications that never import it never load Redis.
 */
export type { RedisFleetOptions } from './options.ts';
export { RedisFleet } from './redis-fleet.ts';
export type * from './types.ts';
