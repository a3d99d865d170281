/**
 * `breakwater/undici`: circuit breakers for `fetch` and undici. An interceptor for
 * `agent.compose(...)` that sends each request through a supervisor's breaker, one service per key
 * (the origin by default). Needs the `undici` package (an optional peer dependency).
 */
export { type BreakerInterceptor, breakerInterceptor } from './interceptor.ts';
export { type BreakerInterceptorOptions, type HttpServiceOptions, originKey } from './options.ts';
export { FailureStatusError, type FallbackResponse } from './response.ts';
