/**
 * Worker-thread pools for services registered with `worker`: one piscina pool per service, with
 * its own queue, call timeouts that terminate hung threads, and typed errors for every fault.
 */

export { deserializeError, type SerializedThrown, serializeError } from '../serialization/errors.ts';
export { createPoolExecutor } from './executor.ts';
export { type ResolvedPoolOptions, type ResolvedResourceLimits, resolvePoolOptions } from './options.ts';
export type { ExecRequest, PoolDeps, PoolExecutor } from './types.ts';
