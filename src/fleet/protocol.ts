/**
 * The fleet protocol: key names, the replies of the Lua scripts (scripts.ts) and the messages
 * published on the fleet's channel, parsed into one shape. Every piece of shared state carries its
 * `(epoch, v)`; `isNewer` is the one ordering every node applies.
 */
import type { SharedState } from './types.ts';

/** Keys of one service. They share `{service}` as hash tag: one Redis Cluster slot per service. */
export interface ServiceKeys {
  readonly state: string;
  readonly lease: string;
  readonly trips: string;
}

export function serviceKeys(prefix: string, service: string): ServiceKeys {
  // Every key starts with the same `${prefix}{${service}}`, so whatever Redis takes as the hash tag
  // (first `{` to the next `}`), it is the same for the three keys, even when a name holds braces.
  const base = `${prefix}{${service}}`;
  return { state: `${base}:state`, lease: `${base}:lease`, trips: `${base}:trips` };
}

export function channelName(prefix: string): string {
  return `${prefix}fleet:transitions`;
}

export function nodesKey(prefix: string): string {
  return `${prefix}fleet:nodes`;
}

/** A service's shared state as one script reply or one message reports it. */
export interface Shared {
  readonly state: SharedState;
  /** `''` when the service has no history in Redis yet. */
  readonly epoch: string;
  readonly v: number;
  readonly remainingMs: number;
  readonly reopens: number;
  readonly origin: string;
  readonly reason: string;
}

/** A reply of READ, UPDATE or ACQUIRE: a tag and the state it was taken on. */
export interface SharedReply extends Shared {
  readonly tag: string;
  /** UPDATE `noted`: distinct nodes in the quorum window; ACQUIRE `held`: the lease's remaining ms. */
  readonly extra: number;
}

/** A message on the channel: a write, and the service it concerns. */
export interface SharedMessage extends Shared {
  readonly service: string;
}

const STATES: ReadonlySet<string> = new Set<SharedState>(['closed', 'open', 'forced-open', 'disabled']);

function sharedState(value: unknown): SharedState {
  if (typeof value !== 'string' || !STATES.has(value)) {
    throw new TypeError(`fleet: unexpected shared state ${JSON.stringify(value)}`);
  }
  return value as SharedState;
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`fleet: unexpected number ${JSON.stringify(value)}`);
  return n;
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (typeof value === 'number') return String(value);
  throw new TypeError(`fleet: unexpected string ${JSON.stringify(value)}`);
}

/** Parses a script reply; throws on anything malformed (a foreign script or a corrupted hash). */
export function parseReply(raw: unknown): SharedReply {
  if (!Array.isArray(raw) || raw.length < 9) throw new TypeError('fleet: malformed script reply');
  return {
    tag: str(raw[0]),
    state: sharedState(str(raw[1])),
    epoch: str(raw[2]),
    v: num(raw[3]),
    remainingMs: Math.max(0, num(raw[4])),
    reopens: num(raw[5]),
    origin: str(raw[6]),
    reason: str(raw[7]),
    extra: num(raw[8]),
  };
}

/** Parses a channel message, or returns undefined for one that is not ours or malformed. */
export function parseMessage(text: string): SharedMessage | undefined {
  try {
    const m = JSON.parse(text) as Record<string, unknown>;
    if (typeof m.s !== 'string' || typeof m.o !== 'string') return undefined;
    return {
      service: m.s,
      state: sharedState(m.st),
      epoch: str(m.e),
      v: num(m.v),
      remainingMs: Math.max(0, num(m.r)),
      reopens: num(m.n),
      origin: m.o,
      reason: typeof m.why === 'string' ? m.why : '',
    };
  } catch {
    return undefined;
  }
}

/** The `(epoch, v)` of a shared state a node saw. */
export interface Seen {
  readonly epoch: string;
  readonly v: number;
}

/**
 * Whether `a` is a later state than `b`. Epochs are Redis times as digit strings (one server's own
 * clock, never compared with a node's), so a longer or lexically larger one began later.
 */
export function isNewer(a: Seen, b: Seen | undefined): boolean {
  if (b === undefined) return true;
  if (a.epoch !== b.epoch) {
    if (a.epoch.length !== b.epoch.length) return a.epoch.length > b.epoch.length;
    return a.epoch > b.epoch;
  }
  return a.v > b.v;
}

/** Same `(epoch, v)`. */
export function sameSeen(a: Seen, b: Seen | undefined): boolean {
  return b !== undefined && a.epoch === b.epoch && a.v === b.v;
}
