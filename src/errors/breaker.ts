/**
 * The errors the supervisor raises itself: rejections by a breaker (without a stack unless asked),
 * timeouts, aborts, and lookups that find no service.
 */
import { BreakwaterError, type BreakwaterErrorOptions, ErrorCode } from './base.ts';

/**
 * Protection errors skip the stack unless asked: the fast path during an outage must not pay for
 * stack capture (BENCH.md: ~1.9 µs with a stack). Even under `Error.stackTraceLimit = 0`, a
 * subclass constructor costs ~650 ns here: V8 walks the stack to skip the frames up to
 * `new.target`. So `create()` makes a plain `new Error(message)` under a zero limit (~300 ns) and
 * gives it the subclass's prototype. The object is what the constructor would make: a native
 * error (`util.types.isNativeError`, structuredClone, `[object Error]`), `instanceof` the class,
 * the same own fields in the same order, and a `stack` of just "CircuitOpenError: message"
 * (V8 formats it lazily, with the name the prototype gives).
 */
function stackless<E extends Error>(message: string, proto: E): Writable<E> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new Error(message);
  Error.stackTraceLimit = limit;
  return Object.setPrototypeOf(error, proto) as Writable<E>;
}

type Writable<E> = { -readonly [K in keyof E]: E[K] };

function retryAfter(retryAt: number | null, now: number): number | null {
  return retryAt === null ? null : Math.max(0, Math.ceil(retryAt - now));
}

function openMessage(service: string, after: number | null): string {
  return after === null
    ? `circuit for "${service}" is forced open`
    : `circuit for "${service}" is open; retry after ${after} ms`;
}

function halfOpenMessage(service: string, maxCalls: number): string {
  return `circuit for "${service}" is half-open and all ${maxCalls} probes are taken`;
}

/** The breaker is open (or forced open): the call was not attempted. */
export class CircuitOpenError extends BreakwaterError {
  /** When the breaker will next admit a probe (clock ms), or `null` when forced open. */
  readonly retryAt: number | null;
  /** Milliseconds until the next probe is admitted, as of when the error was made; `null` when forced open. */
  readonly retryAfterMs: number | null;
  constructor(service: string, retryAt: number | null, now: number, options: BreakwaterErrorOptions = {}) {
    const after = retryAfter(retryAt, now);
    super(
      ErrorCode.CircuitOpen,
      openMessage(service, after),
      options.cause === undefined ? { service } : { service, cause: options.cause },
    );
    this.retryAt = retryAt;
    this.retryAfterMs = after;
  }
  /** The error of one rejected call; without a stack unless `captureStack`. */
  static create(
    service: string,
    retryAt: number | null,
    now: number,
    captureStack?: boolean,
  ): CircuitOpenError {
    if (captureStack === true) return new CircuitOpenError(service, retryAt, now);
    const after = retryAfter(retryAt, now);
    const error = stackless(openMessage(service, after), CircuitOpenError.prototype);
    // The constructor's field order (BreakwaterError's, then this class's): one hidden class for both.
    error.code = ErrorCode.CircuitOpen;
    error.service = service;
    error.retryAt = retryAt;
    error.retryAfterMs = after;
    return error;
  }
}

/** The breaker is half-open and every probe permit is taken. */
export class HalfOpenFullError extends BreakwaterError {
  readonly maxCalls: number;
  constructor(service: string, maxCalls: number, options: BreakwaterErrorOptions = {}) {
    super(
      ErrorCode.HalfOpenFull,
      halfOpenMessage(service, maxCalls),
      options.cause === undefined ? { service } : { service, cause: options.cause },
    );
    this.maxCalls = maxCalls;
  }
  /** The error of one rejected call; without a stack unless `captureStack`. */
  static create(service: string, maxCalls: number, captureStack?: boolean): HalfOpenFullError {
    if (captureStack === true) return new HalfOpenFullError(service, maxCalls);
    const error = stackless(halfOpenMessage(service, maxCalls), HalfOpenFullError.prototype);
    error.code = ErrorCode.HalfOpenFull;
    error.service = service;
    error.maxCalls = maxCalls;
    return error;
  }
}

/** The call ran longer than its timeout. Counts as a failure. */
export class CallTimeoutError extends BreakwaterError {
  readonly timeoutMs: number;
  constructor(service: string, timeoutMs: number, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.CallTimeout, `call to "${service}" timed out after ${timeoutMs} ms`, {
      ...options,
      service,
    });
    this.timeoutMs = timeoutMs;
  }
}

/** The caller aborted the call through its `AbortSignal`. Not a failure. */
export class AbortedError extends BreakwaterError {
  constructor(service: string | undefined, options: BreakwaterErrorOptions = {}) {
    super(
      ErrorCode.Aborted,
      `call${service === undefined ? '' : ` to "${service}"`} was aborted by the caller`,
      {
        ...options,
        service,
      },
    );
  }
}

export class UnknownServiceError extends BreakwaterError {
  constructor(service: string, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.UnknownService, `no service named "${service}" is registered`, { ...options, service });
  }
}

export class AlreadyRegisteredError extends BreakwaterError {
  constructor(service: string) {
    super(ErrorCode.AlreadyRegistered, `a service named "${service}" is already registered`, { service });
  }
}

export class SupervisorClosedError extends BreakwaterError {
  constructor(service?: string, options: BreakwaterErrorOptions = {}) {
    super(
      ErrorCode.SupervisorClosed,
      service === undefined
        ? 'supervisor is closed'
        : `supervisor is closed; call to "${service}" was not run`,
      { ...options, service },
    );
  }
}

/** The service has no worker pool (it was registered without `worker`), so `call()` can't route. */
export class NotPoolServiceError extends BreakwaterError {
  constructor(service: string) {
    super(ErrorCode.NotPoolService, `service "${service}" has no worker pool; register it with \`worker\``, {
      service,
    });
  }
}
