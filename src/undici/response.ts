/**
 * Answers the interceptor gives without the upstream: a fallback response while a breaker rejects
 * requests, or the typed rejection itself. Both go through the undici handler interface the way a
 * real response does (request start, then the response or the error), so `fetch`, `request()` and
 * other interceptors see nothing unusual.
 */
import type { Dispatcher } from 'undici';
import { invalidOption } from '../errors.ts';
import { isPlainObject } from '../validate.ts';

/** What a fallback of a per-key service answers with: a response made up on the spot. */
export interface FallbackResponse {
  /** An HTTP status code, 200–599. */
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | undefined;
  /** The body; a string is sent as UTF-8. @default empty */
  readonly body?: string | Uint8Array | undefined;
}

/** The error that makes a failure status count: the caller still gets the real response. */
export class FailureStatusError extends Error {
  /** Always `ERR_FAILURE_STATUS`. */
  readonly code = 'ERR_FAILURE_STATUS';
  readonly service: string;
  readonly statusCode: number;
  constructor(service: string, statusCode: number) {
    super(`${service} answered ${statusCode}`);
    this.service = service;
    this.statusCode = statusCode;
  }
  override get name(): string {
    return 'FailureStatusError';
  }
}

/** A controller for an answer that no socket produces: abort and pause are remembered. */
class LocalController implements Dispatcher.DispatchController {
  aborted = false;
  paused = false;
  reason: Error | null = null;
  abort(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

/** Delivers `error` as the request's outcome. */
export function answerError(handler: Dispatcher.DispatchHandler, error: Error): void {
  const controller = new LocalController();
  try {
    handler.onRequestStart?.(controller, {});
  } catch {
    // The handler refused the start: it still learns the outcome below.
  }
  handler.onResponseError?.(controller, error);
}

/** Delivers a fallback's value as the response; a value that isn't a FallbackResponse is an error. */
export function answerFallback(
  handler: Dispatcher.DispatchHandler,
  request: Dispatcher.DispatchOptions,
  value: unknown,
  service: string,
): void {
  let response: { statusCode: number; headers: Record<string, string | string[]>; body: Buffer };
  try {
    response = checkResponse(value, service);
  } catch (error) {
    answerError(handler, error as Error);
    return;
  }
  const controller = new LocalController();
  try {
    handler.onRequestStart?.(controller, {});
    if (stopped(handler, controller)) return;
    handler.onResponseStart?.(controller, response.statusCode, response.headers, '');
    if (response.body.length > 0 && request.method !== 'HEAD' && !controller.aborted) {
      handler.onResponseData?.(controller, response.body);
    }
    if (stopped(handler, controller)) return;
    handler.onResponseEnd?.(controller, {});
  } catch (error) {
    handler.onResponseError?.(controller, error as Error);
  }
}

/**
 * Whether the handler aborted the made-up answer; if so it gets the abort's reason as the error.
 * A function of the module, not a closure per answer: transpilers that keep function names wrap
 * each named closure they create in a defineProperty call.
 */
function stopped(handler: Dispatcher.DispatchHandler, controller: LocalController): boolean {
  if (controller.aborted) handler.onResponseError?.(controller, controller.reason ?? new Error('aborted'));
  return controller.aborted;
}

function checkResponse(
  value: unknown,
  service: string,
): { statusCode: number; headers: Record<string, string | string[]>; body: Buffer } {
  const field = `fallback of ${service}`;
  if (!isPlainObject(value)) throw invalidOption('type', field, 'a FallbackResponse object', value);
  const { statusCode, headers, body } = value;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 200 ||
    statusCode > 599
  ) {
    throw invalidOption('range', `${field}.statusCode`, 'an integer between 200 and 599', statusCode);
  }
  if (headers !== undefined && !isPlainObject(headers)) {
    throw invalidOption('type', `${field}.headers`, 'an object', headers);
  }
  let bytes: Buffer;
  if (body === undefined) bytes = Buffer.alloc(0);
  else if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else throw invalidOption('type', `${field}.body`, 'a string or a Uint8Array', body);
  const out: Record<string, string | string[]> = {};
  for (const [name, v] of Object.entries(headers ?? {})) {
    out[name.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
  }
  out['content-length'] = String(bytes.length);
  return { statusCode, headers: out, body: bytes };
}
