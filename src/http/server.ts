/**
 * The admin HTTP server, on Node's own `http` module: `/livez`, `/readyz`, `/health`, `/metrics`,
 * `/events`, the control endpoints and the dashboard page. Binds to 127.0.0.1 by default.
 *
 * Exhaustion guards: header and request timeouts drop sockets that send slowly or never finish a
 * request, and a connection cap evicts the oldest idle socket when it is reached (connections.ts),
 * so a flood of idle or half-sent connections never stops a probe from being answered.
 *
 * Every response is either a route's own or a JSON error `{ error: { code, message } }`; an
 * unexpected exception becomes a 500 with a fixed message (reported to the logger, never to the
 * client), so no stack trace or internal message ever leaves the process.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectionGuard } from './connections.ts';
import { handleControl, isControlAction } from './control.ts';
import { renderDashboard } from './dashboard.html.ts';
import { EventStreamHub } from './event-stream.ts';
import { AdminMetrics } from './metrics.ts';
import {
  type AdminServerOptions,
  type ResolvedAdminServerOptions,
  resolveAdminServerOptions,
} from './options.ts';
import { serveHealth, serveLivez, serveReadyz } from './probes.ts';
import { MetricsReader } from './read.ts';
import { HttpError, HttpErrorCode, send, sendChunks, sendError } from './respond.ts';
import type { AdminSupervisor } from './types.ts';

/** Where a listening server can be reached. */
export interface AdminServerAddress {
  /** e.g. `http://127.0.0.1:43117` */
  readonly url: string;
  readonly port: number;
}

/** A running (or ready to run) admin server. */
export interface AdminServer extends AsyncDisposable {
  /** Starts listening. Resolves once the port is bound; calling it again returns the same address. */
  listen(): Promise<AdminServerAddress>;
  /** Ends every SSE stream, closes every socket and removes every supervisor listener. Idempotent. */
  close(): Promise<void>;
  /** Base URL. Throws before `listen()` has resolved. */
  readonly url: string;
  /** Open `/events` streams. */
  readonly sseClients: number;
  /** The server's own prom-client registry (not the global one); add your metrics to it if you like. */
  readonly registry: AdminMetrics['registry'];
}

/** Methods allowed per fixed path. */
const ROUTES: Readonly<Record<string, readonly string[]>> = {
  '/': ['GET', 'HEAD'],
  '/livez': ['GET', 'HEAD'],
  '/readyz': ['GET', 'HEAD'],
  '/health': ['GET', 'HEAD'],
  '/metrics': ['GET', 'HEAD'],
  '/events': ['GET'],
};
const CONTROL_PATH = /^\/services\/([^/]+)\/([^/]+)$/;

/**
 * Makes an admin server for `sup`. Options are validated at once (TypeError/RangeError with code
 * `ERR_INVALID_OPTION`); nothing is bound until `listen()`.
 */
export function createAdminServer(sup: AdminSupervisor, options?: AdminServerOptions): AdminServer {
  const opts = resolveAdminServerOptions(options);
  const reader = new MetricsReader(sup, opts.logger);
  const metrics = new AdminMetrics(sup, reader);
  const hub = new EventStreamHub(sup, {
    maxClients: opts.maxSseClients,
    bufferSize: opts.eventBufferSize,
    heartbeatMs: opts.heartbeatMs,
    clock: opts.clock ?? sup.clock,
  });
  const server = createServer(
    {
      headersTimeout: opts.headersTimeoutMs,
      requestTimeout: opts.requestTimeoutMs,
      keepAliveTimeout: opts.keepAliveTimeoutMs,
      // How often Node checks the two timeouts above; its default (30 s) would let a flood of
      // half-sent requests sit far past `headersTimeoutMs`.
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(opts.headersTimeoutMs / 4))),
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => fail(res, error));
    },
  );
  const connections = new ConnectionGuard(opts.maxConnections);
  connections.install(server);
  let address: AdminServerAddress | undefined;
  let listening: Promise<AdminServerAddress> | undefined;
  let closing: Promise<void> | undefined;

  function fail(res: ServerResponse, error: unknown): void {
    if (!(error instanceof HttpError)) {
      opts.logger?.error({ err: error, path: res.req.url }, 'breakwater admin server: request failed');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(
      res,
      error instanceof HttpError
        ? error
        : new HttpError(500, HttpErrorCode.Internal, 'internal server error'),
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req, opts);
    const url = parseTarget(req.url ?? '/');
    const method = req.method ?? 'GET';
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.maxBodyBytes) {
      throw new HttpError(
        413,
        HttpErrorCode.PayloadTooLarge,
        `request body is larger than ${opts.maxBodyBytes} bytes`,
        {
          connection: 'close',
        },
      );
    }

    const path = url.pathname;
    const control = CONTROL_PATH.exec(path);
    if (control !== null) {
      const name = decodeSegment(control[1]!);
      const action = control[2]!;
      if (!isControlAction(action)) throw notFound(path);
      allow(method, ['POST']);
      await handleControl(req, res, sup, name, action, opts, url.searchParams.get('scope'));
      return;
    }
    const methods = ROUTES[path];
    if (methods === undefined) throw notFound(path);
    allow(method, methods);
    switch (path) {
      case '/':
        return serveDashboard(res);
      case '/livez':
        return serveLivez(res, sup);
      case '/readyz':
        return serveReadyz(res, sup, reader);
      case '/health':
        return serveHealth(res, sup, reader, hub.lastEventId);
      case '/metrics': {
        const answer = await metrics.render();
        // `close` follows `finish` (everything handed to the OS) or a connection cut short.
        if (res.destroyed) answer.release(false);
        else res.once('close', () => answer.release(res.writableFinished));
        return sendChunks(res, 200, answer.contentType, answer.chunks);
      }
      case '/events':
        if (!hub.accept(req, res, url)) {
          throw new HttpError(
            503,
            HttpErrorCode.TooManyStreams,
            `too many open event streams (max ${opts.maxSseClients})`,
            {
              'retry-after': '5',
            },
          );
        }
        return;
    }
  }

  function serveDashboard(res: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    send(res, 200, 'text/html; charset=utf-8', renderDashboard({ nonce, pollMs: opts.dashboardPollMs }), {
      'content-security-policy': [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
    });
  }

  async function listen(): Promise<AdminServerAddress> {
    if (closing !== undefined) throw new Error('admin server is closed');
    listening ??= new Promise<AdminServerAddress>((resolve, reject) => {
      const onError = (error: Error): void => {
        // A failed bind (EADDRINUSE, EACCES) can be retried with another listen().
        listening = undefined;
        reject(error);
      };
      server.once('error', onError);
      server.listen(opts.port, opts.host, () => {
        server.off('error', onError);
        const info = server.address() as AddressInfo;
        const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
        address = { url: `http://${host}:${info.port}`, port: info.port };
        metrics.attach();
        hub.start();
        resolve(address);
      });
    });
    return listening;
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      // A listen() still binding finishes first, so nothing it sets up outlives close().
      await listening?.catch(() => undefined);
      hub.stop();
      metrics.detach();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets and streams would hold close() open; nothing is in progress worth waiting for.
      server.closeAllConnections();
      await closed;
    })();
    return closing;
  }

  return {
    listen,
    close,
    get url(): string {
      if (address === undefined) throw new Error('admin server is not listening: await listen() first');
      return address.url;
    },
    get sseClients(): number {
      return hub.clientCount;
    },
    registry: metrics.registry,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The path and query of a request target. Origin-form (`/health?x`) is read relative to a fixed
 * base, never as a URL of its own: `//health` is the path `//health` (a 404), not a reference to
 * a host named "health". Absolute-form (`http://host/health`, which HTTP/1.1 servers must
 * accept) keeps only its path and query; anything else is a 400.
 */
export function parseTarget(target: string): URL {
  try {
    if (target.startsWith('/')) return new URL(`http://admin.invalid${target}`);
    if (/^https?:\/\//i.test(target)) {
      const absolute = new URL(target);
      return new URL(`http://admin.invalid${absolute.pathname}${absolute.search}`);
    }
  } catch {
    // Falls through to the 400 below.
  }
  throw new HttpError(400, HttpErrorCode.BadRequest, 'malformed request target');
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, HttpErrorCode.MethodNotAllowed, `method ${method} is not allowed here`, {
      allow: methods.join(', '),
    });
  }
}

function notFound(path: string): HttpError {
  return new HttpError(404, HttpErrorCode.NotFound, `no route for ${JSON.stringify(path.slice(0, 200))}`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, HttpErrorCode.BadRequest, 'malformed service name in the path');
  }
}

/** Rejects requests whose `Host` is not one we serve: a guard against DNS rebinding. */
function checkHost(req: IncomingMessage, opts: ResolvedAdminServerOptions): void {
  const allowed = opts.allowedHosts;
  const header = req.headers.host;
  if (allowed === undefined || header === undefined) return;
  const host = (
    header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0]!
  ).toLowerCase();
  if (!allowed.has(host)) {
    throw new HttpError(421, HttpErrorCode.MisdirectedRequest, 'this server does not answer for that Host');
  }
}
