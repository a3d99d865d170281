/**
 * Worker-thread pools for services registered with `worker`: one pool per service (threads from
 * piscina, calls over one lane per thread), with its own queue, per-call timeouts and aborts that
 * never harm another call, retirement of threads that stop responding, and typed errors.
 */

export { deserializeError, type SerializedThrown, serializeError } from '../serialization/errors.ts';
export { type ResolvedPoolOptions, type ResolvedResourceLimits, resolvePoolOptions } from './options.ts';
export { createPoolExecutor } from './pool.ts';
export type { ExecRequest, PoolDeps, PoolExecutor } from './types.ts';
