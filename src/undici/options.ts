/**
 * Options of `breakerInterceptor()`, resolved once: defaults filled, every field validated with a
 * message that names it and the bad value, the caller's object never mutated.
 */
import type { Dispatcher } from 'undici';
import { invalidOption } from '../errors.ts';
import type { Supervisor } from '../supervisor/supervisor.ts';
import type { ServiceOptions } from '../types.ts';
import { functionOption, intOption, isPlainObject, knownKeys } from '../validate.ts';
import type { FallbackResponse } from './response.ts';

/** Service options for the per-key services: the answer of a fallback is a {@link FallbackResponse}. */
export type HttpServiceOptions = ServiceOptions<FallbackResponse>;

/** Options of {@link breakerInterceptor}. */
export interface BreakerInterceptorOptions {
  /** The supervisor that owns the breakers (one service per key). */
  readonly supervisor: Supervisor;
  /**
   * Which breaker a request goes through: a function of the request's dispatch options.
   * @default the request's origin, e.g. `http://127.0.0.1:8080`
   */
  readonly key?: ((request: Dispatcher.DispatchOptions) => string) | undefined;
  /** The service name of a key. A name already registered by you is used as it is. @default `http ${key}` */
  readonly serviceName?: ((key: string) => string) | undefined;
  /**
   * The options each new key's service is registered with (merged over the supervisor's
   * `defaults`), or a function of the key. No `worker` (requests run inline) and no
   * `fallbackOnFailure` (an admitted request's real answer is always passed on).
   * @default {} (the supervisor's defaults)
   */
  readonly service?: HttpServiceOptions | ((key: string) => HttpServiceOptions) | undefined;
  /**
   * Services registered by the interceptor that it keeps; registering one more unregisters the
   * least recently used one. @default 100
   */
  readonly maxServices?: number | undefined;
  /** Which status codes count as failures of the service. @default 5xx (`status >= 500`) */
  readonly isFailureStatus?: ((statusCode: number) => boolean) | undefined;
}

export interface ResolvedInterceptorOptions {
  readonly supervisor: Supervisor;
  readonly key: (request: Dispatcher.DispatchOptions) => string;
  readonly serviceName: (key: string) => string;
  readonly service: (key: string) => HttpServiceOptions;
  readonly maxServices: number;
  readonly isFailureStatus: (statusCode: number) => boolean;
}

const KEYS = ['supervisor', 'key', 'serviceName', 'service', 'maxServices', 'isFailureStatus'];

/** The request's origin (`protocol://host:port`), the default breaker key. */
export function originKey(request: Dispatcher.DispatchOptions): string {
  const { origin } = request;
  if (origin === undefined) return '';
  return typeof origin === 'string' ? origin : origin.origin;
}

const defaultName = (key: string): string => `http ${key}`;
const isServerError = (statusCode: number): boolean => statusCode >= 500;

export function resolveInterceptorOptions(input: unknown): ResolvedInterceptorOptions {
  if (!isPlainObject(input)) throw invalidOption('type', 'options', 'an object', input);
  knownKeys(input, KEYS, 'options');
  const supervisor = input.supervisor as Supervisor | undefined;
  if (typeof supervisor !== 'object' || supervisor === null || typeof supervisor.run !== 'function') {
    throw invalidOption('type', 'options.supervisor', 'a Supervisor', supervisor);
  }
  const service = input.service;
  let template: (key: string) => HttpServiceOptions;
  if (service === undefined) template = () => ({});
  else if (typeof service === 'function')
    template = (key) => checkTemplate(service(key), 'options.service()');
  else template = () => checkTemplate(service, 'options.service') as HttpServiceOptions;
  // A fixed template is checked now, so a bad one fails at construction, not at the first request.
  if (service !== undefined && typeof service !== 'function') checkTemplate(service, 'options.service');
  return {
    supervisor,
    key: functionOption(input.key, 'options.key') ?? originKey,
    serviceName: functionOption(input.serviceName, 'options.serviceName') ?? defaultName,
    service: template,
    maxServices: intOption(input.maxServices, 'options.maxServices', 100, 1),
    isFailureStatus: functionOption(input.isFailureStatus, 'options.isFailureStatus') ?? isServerError,
  };
}

function checkTemplate(value: unknown, field: string): HttpServiceOptions {
  if (!isPlainObject(value)) throw invalidOption('type', field, 'service options (an object)', value);
  if (value.worker !== undefined) {
    throw invalidOption('type', `${field}.worker`, 'undefined (HTTP requests run inline)', value.worker);
  }
  if (value.fallbackOnFailure !== undefined && value.fallbackOnFailure !== false) {
    const why = 'false (the real answer of an admitted request is passed on)';
    throw invalidOption('type', `${field}.fallbackOnFailure`, why, value.fallbackOnFailure);
  }
  return value as HttpServiceOptions;
}
