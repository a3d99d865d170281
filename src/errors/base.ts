/**
 * The base of every breakwater error: the stable codes users branch on and the class that carries
 * `code`, `service` and `cause`.
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
