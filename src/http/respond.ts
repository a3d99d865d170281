/**
 * Response helpers. Every error leaves as JSON `{ error: { code, message } }` with a stable code;
 * nothing here ever writes a stack trace or an internal error's message into a response.
 */
import type { ServerResponse } from 'node:http';

/**
 * Codes of the admin server's error responses, as sent in `{ "error": { "code", "message" } }`
 * (HTTP-level: clients branch on them; nothing throws them at users). The type of the same name is
 * the union of the values.
 */
export const HttpErrorCode = {
  BadRequest: 'ERR_BAD_REQUEST',
  Unauthorized: 'ERR_UNAUTHORIZED',
  Forbidden: 'ERR_FORBIDDEN',
  ControlDisabled: 'ERR_CONTROL_DISABLED',
  NotFound: 'ERR_NOT_FOUND',
  UnknownService: 'ERR_UNKNOWN_SERVICE',
  MethodNotAllowed: 'ERR_METHOD_NOT_ALLOWED',
  PayloadTooLarge: 'ERR_PAYLOAD_TOO_LARGE',
  MisdirectedRequest: 'ERR_MISDIRECTED_REQUEST',
  SupervisorClosed: 'ERR_SUPERVISOR_CLOSED',
  TooManyStreams: 'ERR_TOO_MANY_STREAMS',
  Internal: 'ERR_INTERNAL',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** An error that maps to one HTTP response. Thrown by route handlers, turned into JSON once. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: HttpErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
  override get name(): string {
    return 'HttpError';
  }
}

/** Headers every response carries: nothing is cached, sniffed, framed or leaked as a referrer. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** Writes a complete response. `HEAD` requests get the headers (with the length) and no body. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...BASE_HEADERS,
    ...headers,
    'content-type': contentType,
    'content-length': String(payload.length),
  });
  if (res.req.method === 'HEAD') res.end();
  else res.end(payload);
}

/**
 * Writes a response made of several chunks with chunked transfer encoding (no length to compute
 * over a large body first). Waits for `drain` between chunks so a slow reader holds at most one
 * chunk in the socket's buffer beyond what the kernel took.
 */
export async function sendChunks(
  res: ServerResponse,
  status: number,
  contentType: string,
  chunks: readonly (string | Buffer)[],
): Promise<void> {
  res.writeHead(status, { ...BASE_HEADERS, 'content-type': contentType });
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  for (const chunk of chunks) {
    if (res.destroyed) return;
    if (chunk.length === 0) continue;
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  res.end();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`, headers);
}

export function sendError(res: ServerResponse, error: HttpError): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}
