/**
 * Every error breakwater produces. Each has a stable `code` users can branch on, the `service` it
 * concerns, and an optional `cause`. Guards check `code` rather than only `instanceof`, so they work
 * across realms (worker threads, comlink clients, duplicated package copies).
 */

import { BreakwaterError, type BreakwaterErrorOptions, ErrorCode } from './errors/base.ts';
import type {
  AbortedError,
  CallTimeoutError,
  CircuitOpenError,
  HalfOpenFullError,
  SupervisorClosedError,
  UnknownServiceError,
} from './errors/breaker.ts';
import type { InvalidOptionError } from './errors/options.ts';

export { BreakwaterError, type BreakwaterErrorOptions, ErrorCode } from './errors/base.ts';
export * from './errors/breaker.ts';
export * from './errors/options.ts';

/**
 * Codes of rejections that protect the system. They are never failures of the service and never
 * trip a breaker (docs/reliability.md).
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

/**
 * The thread running the call died. `collateral: true` marks a call lost with a thread that
 * another call brought down (its `cause` names that call): one fault counts as one failure, so
 * collateral errors never count as failures themselves.
 */
export class WorkerCrashedError extends BreakwaterError {
  readonly exitCode: number | undefined;
  readonly collateral: boolean;
  constructor(
    service: string,
    message: string,
    options: BreakwaterErrorOptions & { exitCode?: number; collateral?: boolean } = {},
  ) {
    super(ErrorCode.WorkerCrashed, message, { ...options, service });
    this.exitCode = options.exitCode;
    this.collateral = options.collateral ?? false;
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

/**
 * A value could not cross the thread boundary. `direction: 'arguments'` (the default): the call's
 * arguments, rejected before any thread is used, not a failure. `direction: 'result'`: the
 * handler's result, which is the handler's failure.
 */
export class NotCloneableError extends BreakwaterError {
  readonly direction: 'arguments' | 'result';
  constructor(
    service: string,
    message: string,
    options: BreakwaterErrorOptions & { direction?: 'arguments' | 'result' } = {},
  ) {
    super(ErrorCode.NotCloneable, message, { ...options, service });
    this.direction = options.direction ?? 'arguments';
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
  if (typeof code !== 'string' || !PROTECTION_CODES.has(code)) return false;
  // A handler's result that can't cross the boundary is the handler's failure, not a protection.
  return !(code === ErrorCode.NotCloneable && (error as { direction?: unknown }).direction === 'result');
}

/**
 * Whether an error counts as a failure of the service by default: anything that is not a
 * protection error, nor collateral damage of another call's fault (`collateral: true`). A service's `isFailure` option refines this for the service's own errors;
 * protection errors never count, whatever `isFailure` says.
 */
export function countsAsFailure(error: unknown): boolean {
  return !isProtectionError(error) && (error as { collateral?: unknown } | null)?.collateral !== true;
}
