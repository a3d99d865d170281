/**
 * Regression: a proxy method for a zero-argument handler used to accept any arguments.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { ManualClock, type ServiceProxy, Supervisor } from '../../src/index.ts';

describe('ServiceProxy of a zero-argument handler', () => {
  interface Health {
    ping: () => Promise<'pong'>;
  }

  it('is () => Promise<R>, not (...args: unknown[]) => Promise<R>', () => {
    // HandlerArgs<() => R> resolves to unknown[]: `[] extends [...infer Rest, (AbortSignal | undefined)?]`
    // matches with Rest = unknown[]. A `Parameters<F> extends [] ? []` branch first fixes it.
    const health = new Supervisor({ clock: new ManualClock() }).service<Health>('health');
    expectTypeOf(health.ping).toEqualTypeOf<() => Promise<'pong'>>();
    expectTypeOf<ServiceProxy<Health>['ping']>().parameters.toEqualTypeOf<[]>();
    // @ts-expect-error a handler without parameters takes no arguments
    void health.ping('unexpected');
  });
});
