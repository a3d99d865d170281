/**
 * Typed proxies of pool services: every named export of the worker module becomes an async method
 * whose argument and result types come from the handler. A trailing `AbortSignal` parameter (the
 * runtime passes one) is not part of the call's arguments.
 */

/** Any function: the constraint of a handler in {@link ServiceProxy} and {@link HandlerArgs}. */
// biome-ignore lint/suspicious/noExplicitAny: matching any function signature needs `any` in a constraint
export type AnyFunction = (...args: any[]) => unknown;

/** Parameters of a handler without a trailing AbortSignal. */
export type HandlerArgs<F extends AnyFunction> =
  Parameters<F> extends []
    ? []
    : Parameters<F> extends [...infer Rest, AbortSignal]
      ? Rest
      : Parameters<F> extends [...infer Rest, (AbortSignal | undefined)?]
        ? Rest
        : Parameters<F>;

/** The proxy type of a handler module `M` (e.g. `typeof import('./workers/geo.js')`). */
export type ServiceProxy<M> = {
  readonly [K in keyof M as M[K] extends AnyFunction ? K : never]: M[K] extends AnyFunction
    ? (...args: HandlerArgs<M[K]>) => Promise<Awaited<ReturnType<M[K]>>>
    : never;
};

export function createServiceProxy<M>(
  call: (handler: string, args: unknown[]) => Promise<unknown>,
): ServiceProxy<M> {
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(Object.create(null) as object, {
    get(_target, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined; // not a thenable
      let m = methods.get(prop);
      if (m === undefined) {
        m = (...args: unknown[]) => call(prop, args);
        methods.set(prop, m);
      }
      return m;
    },
  }) as ServiceProxy<M>;
}
