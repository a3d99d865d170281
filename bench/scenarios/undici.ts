/**
 * Scenario: breakwater/undici on loopback requests. One keep-alive HTTP server on 127.0.0.1 in
 * this process answers `ok`; the same request (body read to the end) goes through
 * - a bare undici Agent (the baseline),
 * - an Agent composed with breakerInterceptor() whose breaker is closed (the overhead: goal ≤1.05x),
 * - the same with the breaker forced open (answers ERR_CIRCUIT_OPEN without the upstream: goal
 *   ≥20x faster than the request would have taken through the closed breaker),
 * - an Agent composed with an interceptor that answers every request at once with one ready-made
 *   error (request start, then the error, inside dispatch), no breaker: what undici's request()
 *   costs on an immediate error, the floor under any open circuit answered through it (reported,
 *   with the ratio it caps the open-circuit goal at).
 * Cases alternate round by round, so the ratios are paired.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher, request } from 'undici';
import { isCircuitOpenError, Supervisor } from '../../src/index.ts';
import { breakerInterceptor } from '../../src/undici/index.ts';
import { concurrentCase } from '../lib/cases.ts';
import { byId, measureGroup } from '../lib/measure.ts';
import {
  asFigure,
  caseJson,
  caseTable,
  compareSpeed,
  comparisonTable,
  type Scenario,
  type ScenarioResult,
} from '../lib/scenario.ts';

export const undici: Scenario = {
  name: 'undici',
  title: 'fetch/undici through breakwater/undici: loopback request overhead, open circuit',
  async run({ cfg, progress }): Promise<ScenarioResult> {
    const server = createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bare = new Agent({ connections: 1 });
    const sup = new Supervisor();
    // No call timeout on the closed side: like the bare agent, nothing bounds the request but undici.
    const service = { breaker: { callTimeoutMs: 0 } };
    const guarded = new Agent({ connections: 1 }).compose(breakerInterceptor({ supervisor: sup, service }));
    const openSup = new Supervisor();
    const open = new Agent({ connections: 1 }).compose(breakerInterceptor({ supervisor: openSup, service }));
    const ready = new Error('answered at once');
    const floor = new Agent({ connections: 1 }).compose(answerAtOnce(() => ready));
    const get = async (dispatcher: Dispatcher): Promise<string> => {
      const r = await request(origin, { dispatcher });
      return r.body.text();
    };
    await get(open); // registers the service
    openSup.forceOpen(`http ${origin}`);
    const rejected = await get(open).catch((e: unknown) => e);
    if (!isCircuitOpenError(rejected)) throw new Error('the open breaker did not reject');
    try {
      const stats = await measureGroup(
        'loopback requests',
        // The floor first: with four cases and nine rounds one case runs first after the round's
        // gc (slower) three times, the others twice; this keeps bare, closed and open even.
        [
          concurrentCase(
            'floor',
            "undici's floor: an interceptor that answers at once with a ready-made error",
            'floor',
            () => get(floor).catch(() => 'rejected'),
            1,
          ),
          concurrentCase('bare', 'bare undici request()', 'floor', () => get(bare), 1),
          concurrentCase('bw', 'through breakerInterceptor (closed)', 'breakwater', () => get(guarded), 1),
          concurrentCase(
            'bw-open',
            'through breakerInterceptor (open: ERR_CIRCUIT_OPEN)',
            'breakwater',
            () => get(open).catch(() => 'rejected'),
            1,
          ),
        ],
        cfg,
        progress,
      );
      if (openSup.state(`http ${origin}`) !== 'forced-open' || sup.state(`http ${origin}`) !== 'closed') {
        throw new Error('a breaker changed state during the measurement');
      }
      const s = (id: string) => byId(stats, id);
      // Cost of the guarded request over the bare one: how many times faster bare is.
      const overhead = compareSpeed('closed breaker: request cost over bare undici', s('bare'), s('bw'));
      const openVsRequest = compareSpeed(
        'open circuit vs the request through the closed breaker',
        s('bw-open'),
        s('bw'),
      );
      const openVsFloor = compareSpeed(
        "undici's immediate-error floor vs the open circuit (how much of the open path is ours)",
        s('floor'),
        s('bw-open'),
      );
      const floorVsRequest = compareSpeed(
        "undici's immediate-error floor vs the request through the closed breaker (the most an open circuit can read)",
        s('floor'),
        s('bw'),
      );
      progress.line(
        `overhead ${overhead.value.toFixed(3)}x bare undici; open circuit ${openVsRequest.value.toFixed(1)}x faster (undici's floor: ${floorVsRequest.value.toFixed(1)}x)`,
      );
      const comparisons = [overhead, openVsRequest, openVsFloor, floorVsRequest];
      return {
        name: 'undici',
        title: this.title,
        notes: [
          'One keep-alive connection per agent to a node:http server on 127.0.0.1 in the same process; each request reads its body to the end.',
          'The closed side has no call timeout (the bare agent has none either); the open side is forced open, so no call is a probe.',
          "The floor case's interceptor calls onRequestStart and onResponseError inside dispatch with one error made beforehand: request()'s own cost (URL parsing, its RequestHandler, the callback and promise) with nothing of ours; an open circuit answered through request() cannot be cheaper.",
        ],
        tables: [
          caseTable('Loopback request', ['bare', 'bw', 'bw-open', 'floor'].map(s), s('bare')),
          comparisonTable('Ratios (paired by round)', comparisons),
        ],
        comparisons,
        figures: { undici_vs_bare: asFigure(overhead), undici_open_vs_request: asFigure(openVsRequest) },
        charts: [],
        data: { cases: stats.map(caseJson) },
      };
    } finally {
      await Promise.all([bare.close(), guarded.close(), open.close(), floor.close()]);
      await Promise.all([sup.close(), openSup.close()]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  },
};

/**
 * An interceptor that answers every request inside dispatch with the error `make()` returns, the
 * way a made-up answer must (request start, then the error): the floor case (also used by
 * bench/profile/undici.ts).
 */
export function answerAtOnce(make: () => Error): Dispatcher.DispatcherComposeInterceptor {
  const controller: Dispatcher.DispatchController = {
    aborted: false,
    paused: false,
    reason: null,
    abort() {},
    pause() {},
    resume() {},
  };
  return () =>
    function floorDispatch(_request, handler) {
      handler.onRequestStart?.(controller, {});
      handler.onResponseError?.(controller, make());
      return true;
    };
}
