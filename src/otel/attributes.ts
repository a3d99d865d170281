/**
 * Attribute sets of breakwater's OpenTelemetry instruments, made once per service and reused: a
 * call records with an object it did not allocate, and the SDK sees the same few sets again and
 * again (one service name, and closed sets of outcomes, states and error codes).
 */
import type { Attributes } from '@opentelemetry/api';
import type { CircuitState } from '../types.ts';

/** Attribute keys (namespaced, as OpenTelemetry asks of attributes outside its conventions). */
export const ATTR = {
  service: 'breakwater.service',
  outcome: 'breakwater.outcome',
  state: 'breakwater.circuit.state',
  from: 'breakwater.circuit.from',
  to: 'breakwater.circuit.to',
  /** The semantic-conventions key for an error's class; here the protection error's code. */
  errorType: 'error.type',
} as const;

const OUTCOMES = ['success', 'failure', 'timeout'] as const;

interface PerService {
  readonly service: Attributes;
  readonly outcomes: readonly Attributes[];
  readonly states: Map<string, Attributes>;
  readonly transitions: Map<string, Attributes>;
  readonly rejections: Map<string, Attributes>;
}

export class ServiceAttributes {
  readonly #byService = new Map<string, PerService>();

  service(name: string): Attributes {
    return this.#of(name).service;
  }

  /** `outcome`: 0 success, 1 failure, 2 timeout. */
  outcome(name: string, outcome: number): Attributes {
    return this.#of(name).outcomes[outcome]!;
  }

  state(name: string, state: CircuitState): Attributes {
    return cached(this.#of(name).states, state, () => ({ [ATTR.service]: name, [ATTR.state]: state }));
  }

  transition(name: string, from: CircuitState, to: CircuitState): Attributes {
    return cached(this.#of(name).transitions, `${from}>${to}`, () => ({
      [ATTR.service]: name,
      [ATTR.from]: from,
      [ATTR.to]: to,
    }));
  }

  rejection(name: string, code: string): Attributes {
    return cached(this.#of(name).rejections, code, () => ({ [ATTR.service]: name, [ATTR.errorType]: code }));
  }

  #of(name: string): PerService {
    let p = this.#byService.get(name);
    if (p === undefined) {
      p = {
        service: Object.freeze({ [ATTR.service]: name }),
        outcomes: OUTCOMES.map((o) => Object.freeze({ [ATTR.service]: name, [ATTR.outcome]: o })),
        states: new Map(),
        transitions: new Map(),
        rejections: new Map(),
      };
      this.#byService.set(name, p);
    }
    return p;
  }
}

function cached(map: Map<string, Attributes>, key: string, make: () => Attributes): Attributes {
  let a = map.get(key);
  if (a === undefined) {
    a = Object.freeze(make());
    map.set(key, a);
  }
  return a;
}
