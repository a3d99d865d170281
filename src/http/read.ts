/**
 * Reads one service's metrics for the admin server, isolating failures: a custom trip policy whose
 * `stats()` (or `consecutiveFailures()`) throws makes that one service's figures unavailable, never
 * the whole `/health`, `/readyz` or `/metrics` answer. The error goes to the logger once per
 * service until a read succeeds again, so a dashboard polling every 2 s does not flood the log.
 */
import type { Logger, ServiceCounters, ServiceMetrics } from '../types.ts';
import type { AdminSupervisor } from './types.ts';

/** What a caller learns when a read failed: the service is still there, its figures are not. */
export const METRICS_UNAVAILABLE = 'metrics unavailable: reading them threw (details in the server logger)';

export class MetricsReader {
  readonly #sup: AdminSupervisor;
  readonly #logger: Logger | undefined;
  /** Services whose last read failed and was reported. */
  readonly #reported = new Set<string>();

  constructor(sup: AdminSupervisor, logger: Logger | undefined) {
    this.#sup = sup;
    this.#logger = logger;
  }

  /**
   * The service's metrics; `undefined` when it is no longer registered or reading threw (the
   * error is reported, never rethrown).
   */
  read(name: string): ServiceMetrics | undefined {
    return this.#guard(name, () => this.#sup.metrics(name));
  }

  /** Like `read()`, without the response-time figures (cheap enough for every service per scrape). */
  counters(name: string): ServiceCounters | undefined {
    return this.#guard(name, () => this.#sup.counters(name));
  }

  #guard<T>(name: string, read: () => T): T | undefined {
    let m: T;
    try {
      m = read();
    } catch (error) {
      // Unregistered between services() and now: not an error.
      if (!this.#sup.has(name)) return undefined;
      if (!this.#reported.has(name)) {
        this.#reported.add(name);
        if (this.#logger !== undefined) {
          this.#logger.error({ err: error, service: name }, 'breakwater admin server: reading metrics threw');
        } else {
          process.emitWarning(
            `breakwater admin server: reading the metrics of "${name}" threw: ${String(error)}`,
            {
              code: 'BREAKWATER_METRICS_ERROR',
            },
          );
        }
      }
      return undefined;
    }
    if (this.#reported.size > 0) this.#reported.delete(name);
    return m;
  }
}
