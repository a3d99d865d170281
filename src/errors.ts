/**
 * Every error breakwater produces. Each has a stable `code` users can branch on, the `service` it
 * concerns, and an optional `cause`. Guards check `code` rather than only `instanceof`, so they work
 * across realms (worker threads, comlink clients, duplicated package copies).
 */

/** Stable error codes. The README has one table of them. */
export const ErrorCode = {
  CircuitOpen: 'ERR_CIRCUIT_OPEN',
  HalfOpenFull: 'ERR_HALF_OPEN_FULL',
  CallTimeout: 'ERR_CALL_TIMEOUT',
  Aborted: 'ERR_ABORTED',
  UnknownService: 'ERR_UNKNOWN_SERVICE',
  SupervisorClosed: 'ERR_SUPERVISOR_CLOSED',
  InvalidOption: 'ERR_INVALID_OPTION',
  AlreadyRegistered: 'ERR_ALREADY_REGISTERED',
  WorkerCrashed: 'ERR_WORKER_CRASHED',
  WorkerOom: 'ERR_WORKER_OOM',
  WorkerLoad: 'ERR_WORKER_LOAD',
  QueueTimeout: 'ERR_QUEUE_TIMEOUT',
  BulkheadFull: 'ERR_BULKHEAD_FULL',
  NotCloneable: 'ERR_NOT_CLONEABLE',
  UnknownHandler: 'ERR_UNKNOWN_HANDLER',
  NotPoolService: 'ERR_NOT_POOL_SERVICE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Codes of rejections that protect the system. They are never failures of the service and never
 * trip a breaker (RELIABILITY.md).
 */
const PROTECTION_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.CircuitOpen,
  ErrorCode.HalfOpenFull,
  ErrorCode.BulkheadFull,
  ErrorCode.SupervisorClosed,
  ErrorCode.NotCloneable,
  ErrorCode.Aborted,
  ErrorCode.QueueTimeout,
  ErrorCode.UnknownService,
  ErrorCode.UnknownHandler,
  ErrorCode.InvalidOption,
  ErrorCode.AlreadyRegistered,
  ErrorCode.NotPoolService,
]);

/** Codes that are failures of the service even though breakwater raised them. */
const FAILURE_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCode.CallTimeout,
  ErrorCode.WorkerCrashed,
  ErrorCode.WorkerOom,
  ErrorCode.WorkerLoad,
]);

export interface BreakwaterErrorOptions {
  readonly service?: string | undefined;
  readonly cause?: unknown;
  /** Capture a stack trace even for protection errors (they skip it by default: it costs ~1.6 µs). */
  readonly captureStack?: boolean;
}

/** Base class of every breakwater error. */
export class BreakwaterError extends Error {
  readonly code: ErrorCode;
  readonly service: string | undefined;

  constructor(code: ErrorCode, message: string, options: BreakwaterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.service = options.service;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

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

/** A TypeError or RangeError raised by option validation, carrying a stable code and the field. */
export type InvalidOptionError = (TypeError | RangeError) & {
  readonly code: typeof ErrorCode.InvalidOption;
  /** Dotted path of the bad option, e.g. `breaker.halfOpen.maxCalls`. */
  readonly field: string;
  readonly value: unknown;
};

/**
 * Makes the error for a bad option: a `TypeError` when the value has the wrong type, a `RangeError`
 * when it is of the right type but out of range. The message names the field and the value:
 * `breaker.halfOpen.maxCalls must be an integer >= 1, got 0`.
 */
export function invalidOption(
  kind: 'type' | 'range',
  field: string,
  expectation: string,
  value: unknown,
): InvalidOptionError {
  const message = `${field} must be ${expectation}, got ${describe(value)}`;
  const error = kind === 'type' ? new TypeError(message) : new RangeError(message);
  return Object.assign(error, { code: ErrorCode.InvalidOption, field, value });
}

/** The service has no worker pool (it was registered without `worker`), so `call()` can't route. */
export class NotPoolServiceError extends BreakwaterError {
  constructor(service: string) {
    super(ErrorCode.NotPoolService, `service "${service}" has no worker pool; register it with \`worker\``, {
      service,
    });
  }
}

export class WorkerCrashedError extends BreakwaterError {
  readonly exitCode: number | undefined;
  constructor(
    service: string,
    message: string,
    options: BreakwaterErrorOptions & { exitCode?: number } = {},
  ) {
    super(ErrorCode.WorkerCrashed, message, { ...options, service });
    this.exitCode = options.exitCode;
  }
}

export class WorkerOomError extends BreakwaterError {
  constructor(service: string, message: string, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.WorkerOom, message, { ...options, service });
  }
}

export class WorkerLoadError extends BreakwaterError {
  constructor(service: string, message: string, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.WorkerLoad, message, { ...options, service });
  }
}

export class QueueTimeoutError extends BreakwaterError {
  readonly queueTimeoutMs: number;
  constructor(service: string, queueTimeoutMs: number, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.QueueTimeout, `call to "${service}" waited more than ${queueTimeoutMs} ms in the queue`, {
      ...options,
      service,
    });
    this.queueTimeoutMs = queueTimeoutMs;
  }
}

export class BulkheadFullError extends BreakwaterError {
  readonly maxQueue: number;
  constructor(service: string, maxQueue: number, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.BulkheadFull, `queue for "${service}" is full (${maxQueue} waiting)`, {
      ...options,
      service,
    });
    this.maxQueue = maxQueue;
  }
}

export class NotCloneableError extends BreakwaterError {
  constructor(service: string, message: string, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.NotCloneable, message, { ...options, service });
  }
}

export class UnknownHandlerError extends BreakwaterError {
  readonly handler: string;
  constructor(service: string, handler: string, options: BreakwaterErrorOptions = {}) {
    super(ErrorCode.UnknownHandler, `worker module of "${service}" has no export named "${handler}"`, {
      ...options,
      service,
    });
    this.handler = handler;
  }
}

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** True for any error made by breakwater (by `code`, so it works across realms). */
export function isBreakwaterError(error: unknown): error is BreakwaterError {
  const code = codeOf(error);
  return typeof code === 'string' && (PROTECTION_CODES.has(code) || FAILURE_CODES.has(code));
}

function guard<E extends BreakwaterError>(code: ErrorCode): (error: unknown) => error is E {
  return (error: unknown): error is E => codeOf(error) === code;
}

export const isCircuitOpenError = guard<CircuitOpenError>(ErrorCode.CircuitOpen);
export const isHalfOpenFullError = guard<HalfOpenFullError>(ErrorCode.HalfOpenFull);
export const isCallTimeoutError = guard<CallTimeoutError>(ErrorCode.CallTimeout);
export const isAbortedError = guard<AbortedError>(ErrorCode.Aborted);
export const isUnknownServiceError = guard<UnknownServiceError>(ErrorCode.UnknownService);
export const isSupervisorClosedError = guard<SupervisorClosedError>(ErrorCode.SupervisorClosed);
export const isInvalidOptionError = (error: unknown): error is InvalidOptionError =>
  codeOf(error) === ErrorCode.InvalidOption;
export const isWorkerCrashedError = guard<WorkerCrashedError>(ErrorCode.WorkerCrashed);
export const isWorkerOomError = guard<WorkerOomError>(ErrorCode.WorkerOom);
export const isWorkerLoadError = guard<WorkerLoadError>(ErrorCode.WorkerLoad);
export const isQueueTimeoutError = guard<QueueTimeoutError>(ErrorCode.QueueTimeout);
export const isBulkheadFullError = guard<BulkheadFullError>(ErrorCode.BulkheadFull);
export const isNotCloneableError = guard<NotCloneableError>(ErrorCode.NotCloneable);
export const isUnknownHandlerError = guard<UnknownHandlerError>(ErrorCode.UnknownHandler);

/**
 * True for rejections that protect the system (open circuit, half-open full, bulkhead full, queue
 * timeout, closed supervisor, not cloneable, aborted by the caller, unknown service/handler).
 */
export function isProtectionError(error: unknown): boolean {
  const code = codeOf(error);
  return typeof code === 'string' && PROTECTION_CODES.has(code);
}

/**
 * Whether an error counts as a failure of the service by default: anything that is not a
 * protection error. A service's `isFailure` option refines this for the service's own errors;
 * protection errors never count, whatever `isFailure` says.
 */
export function countsAsFailure(error: unknown): boolean {
  return !isProtectionError(error);
}

/** Short description of a value for error messages: `0`, `"abc"`, `[object]`, `undefined`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  try {
    const json = JSON.stringify(value);
    return json.length > 60 ? `${json.slice(0, 57)}...` : json;
  } catch {
    return 'an object';
  }
}
