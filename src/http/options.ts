/**
 * Options of the admin HTTP server, resolved once: defaults filled, every field validated with a
 * message that names it and the bad value, the caller's object never mutated.
 */
import { invalidOption } from '../errors.ts';
import type { Clock } from '../time/clock.ts';
import type { Logger } from '../types.ts';
import { intOption, isPlainObject } from '../validate.ts';

/** Options of `createAdminServer()`. */
export interface AdminServerOptions {
  /** Interface to bind. Keep the default unless a proxy in front of it does authentication. @default '127.0.0.1' */
  readonly host?: string | undefined;
  /** TCP port; `0` picks a free one (read it from `listen()`'s result). @default 0 */
  readonly port?: number | undefined;
  /**
   * Bearer token that `POST /services/:name/*` require. Without one those endpoints are disabled
   * (403), so a forgotten token never leaves the control endpoints open. At least 8 characters.
   * @default undefined (control endpoints disabled)
   */
  readonly token?: string | undefined;
  /** Open `/events` streams allowed at once; one more gets 503. @default 32 */
  readonly maxSseClients?: number | undefined;
  /** State changes kept for `Last-Event-ID` replay. @default 256 */
  readonly eventBufferSize?: number | undefined;
  /** Largest request body accepted; larger ones get 413. @default 4096 */
  readonly maxBodyBytes?: number | undefined;
  /** Interval of the SSE heartbeat comment, in ms of `clock`; `0` turns it off. @default 15_000 */
  readonly heartbeatMs?: number | undefined;
  /** How often the dashboard page re-reads `/health` for metrics, in ms. @default 2_000 */
  readonly dashboardPollMs?: number | undefined;
  /**
   * Host names (without port) the server answers to, a guard against DNS rebinding. Requests with
   * any other `Host` header get 421.
   * @default ['localhost', '127.0.0.1', '[::1]'] when bound to a loopback address, else any host
   */
  readonly allowedHosts?: readonly string[] | undefined;
  /**
   * Open connections allowed at once (probes, scrapes, dashboards, `/events` streams). Past it, the
   * oldest connection that is not in the middle of a request is closed to make room, so idle or
   * half-sent sockets can never lock probes out. Must be larger than `maxSseClients`. @default 256
   */
  readonly maxConnections?: number | undefined;
  /** Longest time a client may take to send a request's headers, in ms. @default 10_000 */
  readonly headersTimeoutMs?: number | undefined;
  /** Longest time a client may take to send a whole request (headers and body), in ms. @default 30_000 */
  readonly requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection is kept open, in ms. @default 5_000 */
  readonly keepAliveTimeoutMs?: number | undefined;
  /** Clock of the heartbeat timer. @default the supervisor's clock */
  readonly clock?: Clock | undefined;
  /** Where unexpected errors inside a handler are reported (never into a response). @default none */
  readonly logger?: Logger | undefined;
}

/** Options with every default filled in. */
export interface ResolvedAdminServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly maxSseClients: number;
  readonly eventBufferSize: number;
  readonly maxBodyBytes: number;
  readonly heartbeatMs: number;
  readonly dashboardPollMs: number;
  /** `undefined`: any host is accepted. Lower-cased. */
  readonly allowedHosts: ReadonlySet<string> | undefined;
  readonly maxConnections: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly clock: Clock | undefined;
  readonly logger: Logger | undefined;
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'host',
  'port',
  'token',
  'maxSseClients',
  'eventBufferSize',
  'maxBodyBytes',
  'heartbeatMs',
  'dashboardPollMs',
  'allowedHosts',
  'maxConnections',
  'headersTimeoutMs',
  'requestTimeoutMs',
  'keepAliveTimeoutMs',
  'clock',
  'logger',
]);

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/** True for addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Validates `options` and fills defaults. Throws the TypeError/RangeError of `invalidOption()`. */
export function resolveAdminServerOptions(options: unknown): ResolvedAdminServerOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw invalidOption('type', 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    // A misspelt option (`tokne`) would otherwise silently leave the control endpoints disabled.
    if (!KNOWN_KEYS.has(key)) throw invalidOption('type', `options.${key}`, 'a known option', options[key]);
  }
  const o = options as Partial<Record<keyof AdminServerOptions, unknown>>;

  const host = o.host === undefined ? '127.0.0.1' : o.host;
  if (typeof host !== 'string') throw invalidOption('type', 'host', 'a string', host);
  if (host.trim() === '') throw invalidOption('range', 'host', 'a non-empty host name or address', host);

  const token = o.token;
  if (token !== undefined) {
    if (typeof token !== 'string') throw invalidOption('type', 'token', 'a string', token);
    if (token.length < 8) throw invalidOption('range', 'token', 'at least 8 characters', '<redacted>');
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw invalidOption('range', 'token', 'printable ASCII without spaces', '<redacted>');
    }
  }

  let allowedHosts: ReadonlySet<string> | undefined;
  if (o.allowedHosts !== undefined) {
    const list = o.allowedHosts;
    if (!Array.isArray(list) || list.some((h) => typeof h !== 'string' || h === '')) {
      throw invalidOption('type', 'allowedHosts', 'an array of non-empty strings', list);
    }
    allowedHosts = new Set((list as string[]).map((h) => h.toLowerCase()));
  } else if (isLoopback(host)) {
    allowedHosts = new Set(LOOPBACK_HOSTS);
  }

  const clock = o.clock;
  if (
    clock !== undefined &&
    (typeof clock !== 'object' ||
      clock === null ||
      typeof (clock as Clock).now !== 'function' ||
      typeof (clock as Clock).setTimeout !== 'function' ||
      typeof (clock as Clock).clearTimeout !== 'function')
  ) {
    throw invalidOption('type', 'clock', 'a Clock (now, setTimeout, clearTimeout)', clock);
  }

  const logger = o.logger;
  if (
    logger !== undefined &&
    (typeof logger !== 'object' || logger === null || typeof (logger as Logger).error !== 'function')
  ) {
    throw invalidOption('type', 'logger', 'a pino-compatible logger', logger);
  }

  const maxSseClients = intOption(o.maxSseClients, 'maxSseClients', 32, 1, 100_000);
  const maxConnections = intOption(o.maxConnections, 'maxConnections', Math.max(256, maxSseClients + 32), 2);
  if (maxConnections <= maxSseClients) {
    // Streams are never evicted: with no room left beside them, nothing else could connect.
    throw invalidOption(
      'range',
      'maxConnections',
      `an integer > maxSseClients (${maxSseClients})`,
      maxConnections,
    );
  }
  const headersTimeoutMs = intOption(o.headersTimeoutMs, 'headersTimeoutMs', 10_000, 100, 600_000);
  const requestTimeoutMs = intOption(o.requestTimeoutMs, 'requestTimeoutMs', 30_000, 100, 3_600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw invalidOption(
      'range',
      'requestTimeoutMs',
      `an integer >= headersTimeoutMs (${headersTimeoutMs})`,
      requestTimeoutMs,
    );
  }

  return {
    host,
    port: intOption(o.port, 'port', 0, 0, 65_535),
    token,
    maxSseClients,
    maxConnections,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: intOption(o.keepAliveTimeoutMs, 'keepAliveTimeoutMs', 5_000, 100, 600_000),
    eventBufferSize: intOption(o.eventBufferSize, 'eventBufferSize', 256, 1, 1_000_000),
    maxBodyBytes: intOption(o.maxBodyBytes, 'maxBodyBytes', 4096, 0, 1 << 30),
    heartbeatMs: intOption(o.heartbeatMs, 'heartbeatMs', 15_000, 0, 3_600_000),
    dashboardPollMs: intOption(o.dashboardPollMs, 'dashboardPollMs', 2_000, 100, 3_600_000),
    allowedHosts,
    clock: clock as Clock | undefined,
    logger: logger as Logger | undefined,
  };
}
