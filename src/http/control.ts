/**
 * `POST /services/:name/reset | force-open | disable`: the state-changing endpoints.
 *
 * Order of checks, so nothing is revealed to a caller without the token: endpoints disabled (no
 * token configured) -> 403; no bearer credentials -> 401; wrong token -> 403; body too large ->
 * 413; unknown service -> 404. Tokens are compared in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInvalidOptionError, isSupervisorClosedError, isUnknownServiceError } from '../errors.ts';
import { HttpError, HttpErrorCode, sendJson } from './respond.ts';
import type { AdminSupervisor, ControlOptions } from './types.ts';

/** The actions, by the path segment that names them. */
export const CONTROL_ACTIONS = {
  reset: (sup: AdminSupervisor, name: string, o?: ControlOptions) => sup.reset(name, o),
  'force-open': (sup: AdminSupervisor, name: string, o?: ControlOptions) => sup.forceOpen(name, o),
  disable: (sup: AdminSupervisor, name: string, o?: ControlOptions) => sup.disable(name, o),
} as const;
export type ControlAction = keyof typeof CONTROL_ACTIONS;

export function isControlAction(value: string): value is ControlAction {
  return Object.hasOwn(CONTROL_ACTIONS, value);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Checks the `Authorization` header against `token`. Throws the 401/403 `HttpError`. */
export function authorize(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) {
    throw new HttpError(
      403,
      HttpErrorCode.ControlDisabled,
      'control endpoints are disabled: start the admin server with a token (createAdminServer(sup, { token }))',
    );
  }
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (match === null) {
    throw new HttpError(
      401,
      HttpErrorCode.Unauthorized,
      'this endpoint needs an "Authorization: Bearer <token>" header',
      {
        'www-authenticate': 'Bearer realm="breakwater"',
      },
    );
  }
  // Hashing first gives equal lengths, so timingSafeEqual neither throws nor leaks the length.
  if (!timingSafeEqual(digest(match[1]!), digest(token))) {
    throw new HttpError(403, HttpErrorCode.Forbidden, 'the bearer token is not valid');
  }
}

/**
 * Reads and discards the request body, failing with 413 past `maxBytes`. The control endpoints
 * take no body, but a client may send one; reading it keeps the connection usable.
 */
export function drainBody(req: IncomingMessage, maxBytes: number): Promise<void> {
  const tooLarge = (): HttpError =>
    new HttpError(413, HttpErrorCode.PayloadTooLarge, `request body is larger than ${maxBytes} bytes`, {
      connection: 'close',
    });
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let received = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        // Stop reading: the response says close, and the rest of the body is never buffered.
        req.pause();
        reject(tooLarge());
      }
    };
    const onEnd = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** Handles one authorised-or-not control request end to end. */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  sup: AdminSupervisor,
  name: string,
  action: ControlAction,
  options: { readonly token: string | undefined; readonly maxBodyBytes: number },
  scope: string | null = null,
): Promise<void> {
  authorize(req, options.token);
  await drainBody(req, options.maxBodyBytes);
  if (scope !== null && scope !== 'local' && scope !== 'fleet') {
    throw new HttpError(
      400,
      HttpErrorCode.BadRequest,
      `scope must be "local" or "fleet", got ${JSON.stringify(scope)}`,
    );
  }
  const unknown = (): HttpError =>
    new HttpError(
      404,
      HttpErrorCode.UnknownService,
      `no service named ${JSON.stringify(name)} is registered`,
    );
  if (!sup.has(name)) throw unknown();
  try {
    CONTROL_ACTIONS[action](sup, name, scope === null ? undefined : { scope });
  } catch (error) {
    // scope=fleet on a supervisor without a fleet, or on a service registered with fleet: false.
    if (isInvalidOptionError(error)) throw new HttpError(400, HttpErrorCode.BadRequest, error.message);
    // The service may have been unregistered, or the supervisor closed, between the check and here.
    if (isUnknownServiceError(error)) throw unknown();
    if (isSupervisorClosedError(error)) {
      throw new HttpError(503, HttpErrorCode.SupervisorClosed, 'the supervisor is closed');
    }
    throw error;
  }
  const echo = scope === null ? {} : { scope };
  sendJson(res, 200, { service: name, action, ...echo, state: sup.state(name) });
}
