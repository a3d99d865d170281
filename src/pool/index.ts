// PLACEHOLDER written by the lead so the supervisor compiles before the pool layer lands.
// The pool helper owns this file and replaces it with the real exports (same names).
import type { ServiceOptions } from '../types.ts';
import type { PoolDeps, PoolExecutor } from './types.ts';

export type ResolvedPoolOptions = { readonly worker: URL };

export function resolvePoolOptions(
  input: ServiceOptions,
  _field = 'options',
): ResolvedPoolOptions | undefined {
  if (input.worker === undefined) return undefined;
  throw new Error('worker pools are not available in this build yet');
}

export function createPoolExecutor(
  _service: string,
  _options: ResolvedPoolOptions,
  _deps: PoolDeps,
): PoolExecutor {
  throw new Error('worker pools are not available in this build yet');
}
