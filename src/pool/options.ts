/**
 * The worker-pool part of a service's options, resolved once at register(): copied, defaults
 * filled, validated with errors that name the field (`options.threads.max must be ...`).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { invalidOption } from '../errors.ts';
import type { ServiceOptions } from '../types.ts';
import { boolOption, intOption, isPlainObject, numberOption, objectOption } from '../validate.ts';
import { needsTypeScriptLoader, typeScriptExecArgv } from './runtime-location.ts';
import { DEFAULT_ABORT_GRACE_MS } from './threads.ts';

export interface ResolvedResourceLimits {
  readonly maxOldGenerationSizeMb?: number;
  readonly maxYoungGenerationSizeMb?: number;
  readonly codeRangeSizeMb?: number;
  readonly stackSizeMb?: number;
}

export interface ResolvedPoolOptions {
  /** `file:` URL of the handler module. */
  readonly worker: URL;
  readonly minThreads: number;
  readonly maxThreads: number;
  readonly idleTimeoutMs: number;
  readonly concurrentTasksPerWorker: number;
  /** Calls that may wait for a free slot; `Infinity` = unbounded. */
  readonly maxQueue: number;
  /** `0` = no queue timeout. */
  readonly queueTimeoutMs: number;
  /** How long a timed-out or aborted handler may keep running before its thread retires. */
  readonly abortGraceMs: number;
  readonly resourceLimits: ResolvedResourceLimits | undefined;
  /**
   * `undefined`: the adaptive default (batches per microtask checkpoint, `concurrentTasksPerWorker`
   * per thread). Otherwise batches per event-loop turn of at most `maxBatch` calls.
   */
  readonly batching: { readonly maxBatch: number } | undefined;
}

const MAX_MS = 2_147_483_647;
/** @default 30_000 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
/** Calls per batch message in batching mode. @default 256 */
export const DEFAULT_MAX_BATCH = 256;
const LIMIT_KEYS = [
  'maxOldGenerationSizeMb',
  'maxYoungGenerationSizeMb',
  'codeRangeSizeMb',
  'stackSizeMb',
] as const;

/**
 * Resolves the pool options of a service, or `undefined` when it has no `worker` (inline
 * service). `field` prefixes the names in error messages (`options` -> `options.threads.min`).
 */
export function resolvePoolOptions(input: ServiceOptions, field = ''): ResolvedPoolOptions | undefined {
  const at = (name: string): string => (field === '' ? name : `${field}.${name}`);
  const o = objectOption(input, field === '' ? 'options' : field) ?? {};
  if (o.worker === undefined) return undefined;
  const worker = resolveWorker(o.worker, at('worker'));

  const threads = objectOption(o.threads, at('threads')) ?? {};
  const cpuMax = Math.max(1, Math.min(4, availableParallelism()));
  const min = intOption(threads.min, at('threads.min'), 1, 0, 1024);
  const max = intOption(threads.max, at('threads.max'), Math.max(cpuMax, min), 1, 1024);
  if (min > max) throw invalidOption('range', at('threads.min'), `<= threads.max (${max})`, min);

  const idle = o.idleTimeoutMs;
  const idleTimeoutMs =
    idle === Number.POSITIVE_INFINITY
      ? idle
      : intOption(idle, at('idleTimeoutMs'), DEFAULT_IDLE_TIMEOUT_MS, 0, MAX_MS);
  const concurrentTasksPerWorker = intOption(
    o.concurrentTasksPerWorker,
    at('concurrentTasksPerWorker'),
    1,
    1,
    10_000,
  );
  const maxQueue =
    o.maxQueue === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : intOption(o.maxQueue, at('maxQueue'), Number.POSITIVE_INFINITY, 0);
  const queueTimeoutMs = intOption(o.queueTimeoutMs, at('queueTimeoutMs'), 0, 0, MAX_MS);
  const abortGraceMs = intOption(o.abortGraceMs, at('abortGraceMs'), DEFAULT_ABORT_GRACE_MS, 0, MAX_MS);

  return {
    worker,
    minThreads: min,
    maxThreads: max,
    idleTimeoutMs,
    concurrentTasksPerWorker,
    maxQueue,
    queueTimeoutMs,
    abortGraceMs,
    resourceLimits: resolveLimits(o.resourceLimits, at('resourceLimits')),
    batching: resolveBatching(o.batching, at('batching')),
  };
}

/** The existing `.ts`/`.mts` file beside a missing `.js`/`.mjs` one, if there is one. */
function typeScriptSibling(url: URL): URL | undefined {
  if (!/\.m?js$/.test(url.pathname)) return undefined;
  const ts = new URL(url.href);
  ts.pathname = url.pathname.replace(/\.(m?)js$/, '.$1ts');
  return existsSync(ts) ? ts : undefined;
}

function resolveWorker(value: unknown, field: string): URL {
  let url: URL;
  if (value instanceof URL) url = value;
  else if (typeof value === 'string' && value.length > 0) {
    url = value.startsWith('file:') ? new URL(value) : pathToFileURL(resolve(value));
  } else {
    throw invalidOption('type', field, 'a file URL or a path', value);
  }
  if (url.protocol !== 'file:') throw invalidOption('range', field, 'a file: URL', url.href);
  if (!existsSync(url)) {
    // Run from sources (tsx), `new URL('./geo.js', import.meta.url)` names the build's file while
    // only geo.ts is on disk: load the TypeScript sibling, as tsx does for imports.
    const sibling = typeScriptSibling(url);
    if (sibling === undefined) throw invalidOption('range', field, 'an existing module file', url.href);
    url = sibling;
  }
  if (needsTypeScriptLoader(url)) {
    try {
      typeScriptExecArgv();
    } catch {
      throw invalidOption('range', field, 'a .js module (TypeScript modules need the tsx package)', url.href);
    }
  }
  return new URL(url.href);
}

function resolveLimits(value: unknown, field: string): ResolvedResourceLimits | undefined {
  const o = objectOption(value, field);
  if (o === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const key of Object.keys(o)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw invalidOption('range', `${field}.${key}`, `one of ${LIMIT_KEYS.join(', ')}`, key);
    }
    const v = numberOption(o[key], `${field}.${key}`, 0, 0, 1 << 20);
    if (v > 0) out[key] = v;
  }
  return out;
}

function resolveBatching(value: unknown, field: string): { readonly maxBatch: number } | undefined {
  if (value === undefined || typeof value === 'boolean') {
    return boolOption(value, field, false) ? { maxBatch: DEFAULT_MAX_BATCH } : undefined;
  }
  if (!isPlainObject(value)) throw invalidOption('type', field, 'a boolean or { maxBatch }', value);
  return { maxBatch: intOption(value.maxBatch, `${field}.maxBatch`, DEFAULT_MAX_BATCH, 1, 65_536) };
}
