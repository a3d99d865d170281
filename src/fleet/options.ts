/**
 * RedisFleet's options, resolved once: validated with errors that name the field, defaults filled.
 */
import { hostname } from 'node:os';
import type { Cluster, Redis } from 'ioredis';
import { invalidOption } from '../errors.ts';
import type { Logger } from '../types.ts';
import { intOption, isPlainObject, objectOption } from '../validate.ts';

export interface RedisFleetOptions {
  /**
   * A `redis://` / `rediss://` URL (the fleet opens and closes its own connections), or an ioredis
   * client (`Redis` or `Cluster`; the fleet duplicates it for its subscription, and `close()` leaves
   * the client itself open).
   */
  readonly redis: string | Redis | Cluster;
  /** Prefix of every key and of the channel, to share one Redis between applications. @default 'breakwater:' */
  readonly prefix?: string;
  /** This node's name, unique in the fleet. @default `${hostname}:${pid}` */
  readonly node?: string;
  /**
   * Open fleet-wide only when `nodes` distinct nodes tripped within `windowMs` (a node always
   * opens itself at once). @default { nodes: 1, windowMs: 60_000 }
   */
  readonly quorum?: { readonly nodes?: number; readonly windowMs?: number };
  /** A Redis command that takes longer fails, and the node goes local-only. @default 500 */
  readonly commandTimeoutMs?: number;
  /** @default 2_000 */
  readonly connectTimeoutMs?: number;
  /** How often the node checks Redis (and announces itself to its peers). @default 1_000 */
  readonly heartbeatMs?: number;
  /** Life of a probe lease; its holder renews it every third of this while it probes. @default 5_000 */
  readonly leaseMs?: number;
  /** Reconnect delay: doubles from `minMs` up to `maxMs`. @default { minMs: 50, maxMs: 2_000 } */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
  /** Retries of a command after a lost connection, for the fleet's own clients. @default 1 */
  readonly maxRetriesPerRequest?: number;
  /** Pino-compatible logger for Redis errors and state adopted from the fleet. @default none */
  readonly logger?: Logger;
}

export interface ResolvedFleetOptions {
  readonly redis: string | Redis | Cluster;
  readonly prefix: string;
  readonly node: string;
  readonly quorum: { readonly nodes: number; readonly windowMs: number };
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly peerTtlMs: number;
  readonly leaseMs: number;
  readonly reconnect: { readonly minMs: number; readonly maxMs: number };
  readonly maxRetriesPerRequest: number;
  readonly logger: Logger | undefined;
}

const KNOWN = new Set([
  'redis',
  'prefix',
  'node',
  'quorum',
  'commandTimeoutMs',
  'connectTimeoutMs',
  'heartbeatMs',
  'leaseMs',
  'reconnect',
  'maxRetriesPerRequest',
  'logger',
]);

function isClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { evalsha?: unknown }).evalsha === 'function' &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function'
  );
}

function stringOption(value: unknown, field: string, fallback: string, minLength: number): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw invalidOption('type', field, 'a string', value);
  if (value.length < minLength)
    throw invalidOption('range', field, `at least ${minLength} character(s)`, value);
  return value;
}

export function resolveFleetOptions(input: unknown): ResolvedFleetOptions {
  if (!isPlainObject(input)) throw invalidOption('type', 'options', 'an object', input);
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) throw invalidOption('type', `options.${key}`, 'a known option (typo?)', input[key]);
  }
  const redis = input.redis;
  if (typeof redis === 'string') {
    if (!/^rediss?:\/\//.test(redis)) throw invalidOption('type', 'options.redis', 'a redis:// URL', redis);
  } else if (!isClient(redis)) {
    throw invalidOption('type', 'options.redis', 'a redis:// URL or an ioredis client', redis);
  }
  const quorum = objectOption(input.quorum, 'options.quorum') ?? {};
  const reconnect = objectOption(input.reconnect, 'options.reconnect') ?? {};
  const minMs = intOption(reconnect.minMs, 'options.reconnect.minMs', 50, 1, 60_000);
  const heartbeatMs = intOption(input.heartbeatMs, 'options.heartbeatMs', 1_000, 10, 60_000);
  const commandTimeoutMs = intOption(input.commandTimeoutMs, 'options.commandTimeoutMs', 500, 1, 60_000);
  const leaseMs = intOption(input.leaseMs, 'options.leaseMs', 5_000, 30, 600_000);
  if (leaseMs < 3 * commandTimeoutMs) {
    // A renewal every third of the lease must be able to time out and still leave time for the next.
    throw invalidOption(
      'range',
      'options.leaseMs',
      `at least 3 × commandTimeoutMs (${3 * commandTimeoutMs})`,
      leaseMs,
    );
  }
  const logger = objectOption(input.logger, 'options.logger') as Logger | undefined;
  return {
    redis,
    prefix: stringOption(input.prefix, 'options.prefix', 'breakwater:', 0),
    node: stringOption(input.node, 'options.node', `${hostname()}:${process.pid}`, 1),
    quorum: {
      nodes: intOption(quorum.nodes, 'options.quorum.nodes', 1, 1, 1_000),
      windowMs: intOption(quorum.windowMs, 'options.quorum.windowMs', 60_000, 1, 86_400_000),
    },
    commandTimeoutMs,
    connectTimeoutMs: intOption(input.connectTimeoutMs, 'options.connectTimeoutMs', 2_000, 1, 60_000),
    heartbeatMs,
    peerTtlMs: 3 * heartbeatMs,
    leaseMs,
    reconnect: {
      minMs,
      maxMs: intOption(reconnect.maxMs, 'options.reconnect.maxMs', Math.max(2_000, minMs), minMs, 600_000),
    },
    maxRetriesPerRequest: intOption(input.maxRetriesPerRequest, 'options.maxRetriesPerRequest', 1, 0, 10),
    logger,
  };
}
