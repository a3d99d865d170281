/**
 * The soak (RELIABILITY.md scenario 21): many calls with mixed faults through one supervisor —
 * an inline service with outages, throws and timeouts; a worker pool with throws, hangs (the
 * thread is terminated) and crashes; a batched pool with throws and crashes — while watching for
 * leaks. It fails on: a lost call (issued but never settled), an outcome that is not the value, the
 * handler's error or a typed breakwater error, heap growth after warm-up beyond the bound, a
 * growth in OS threads or a pool not back at strength, handle/timer/listener growth, an event sequence that does not match the
 * breakers' transitions, or counters that do not add up.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { type ServiceOptions, type StateChangeEvent, Supervisor } from '../../src/index.ts';
import { formatBytes } from '../lib/format.ts';
import { countTimers } from '../lib/timers.ts';
import { lateWork, type Plan, planCall, SERVICES, type ServiceName } from './plan.ts';
import {
  grownResources,
  newThreads,
  osThreads,
  type ProcessProbe,
  probe,
  processListeners,
  resources,
  threadIds,
} from './probes.ts';

export interface SoakOptions {
  readonly calls: number;
  /** Calls kept in flight. @default 64 */
  readonly concurrency?: number;
  /** @default 1 */
  readonly seed?: number;
  /** Allowed heap growth from the end of warm-up to the end. @default max(8 MiB, 16 B per call) */
  readonly heapLimitBytes?: number;
  /** Progress lines. @default none */
  readonly log?: (line: string) => void;
  /** Progress lines over the run. @default 10 */
  readonly checkpoints?: number;
  /** Worker crashes and hangs over the run (each). @default 10 */
  readonly faultsPerKind?: number;
  /** The soak fails (instead of hanging) when no call settles for this long. @default 30_000 */
  readonly stallMs?: number;
  /**
   * The worker and batched services' `callTimeoutMs` (their hang calls are terminated after it).
   * @default 200
   */
  readonly workerTimeoutMs?: number;
  /**
   * Whether outcomes that contradict a call's timeout (a late answer accepted after it, an answer
   * that timed out) fail the soak. They are always listed in `timing`. @default true
   */
  readonly strictTiming?: boolean;
}

export interface SoakReport {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly calls: number;
  readonly settled: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** Calls whose outcome contradicts their timeout (see `strictTiming`). */
  readonly timing: readonly string[];
  /** Outcomes by `service/kind` of call. */
  readonly byKind: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly services: Readonly<
    Record<string, { readonly issued: number; readonly metrics: Readonly<Record<string, unknown>> }>
  >;
  readonly transitions: Readonly<Record<string, number>>;
  readonly events: number;
  readonly heap: {
    readonly afterWarmup: number;
    readonly end: number;
    readonly growth: number;
    readonly limit: number;
  };
  readonly threads: {
    readonly osAfterWarmup: number;
    readonly osEnd: number;
    readonly osAfterClose: number;
    readonly osBefore: number;
  };
  readonly durationMs: number;
}

const ALLOWED_CODES = new Set([
  'ERR_CIRCUIT_OPEN',
  'ERR_HALF_OPEN_FULL',
  'ERR_CALL_TIMEOUT',
  'ERR_WORKER_CRASHED',
]);
/** Rejections by an open or full breaker: any call may get one instead of running. */
const PROTECTION = new Set(['ERR_CIRCUIT_OPEN', 'ERR_HALF_OPEN_FULL']);
/**
 * What each kind of call may end with (besides a protection rejection; a batched call may also
 * share a crash of its batch's thread).
 */
const EXPECTED: Record<Plan['kind'], ReadonlySet<string>> = {
  ok: new Set(['value']),
  fail: new Set(['handler error']),
  hang: new Set(['ERR_CALL_TIMEOUT']),
  crash: new Set(['ERR_WORKER_CRASHED']),
};

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const calls = options.calls;
  const concurrency = options.concurrency ?? 64;
  const seed = options.seed ?? 1;
  const heapLimit = options.heapLimitBytes ?? Math.max(8 * 1024 * 1024, 16 * calls);
  const log = options.log ?? (() => {});
  const checkpointEvery = Math.max(1, Math.floor(calls / (options.checkpoints ?? 10)));
  const faults = options.faultsPerKind ?? 10;
  const stallMs = options.stallMs ?? 30_000;
  const warmup = Math.min(calls, Math.max(5_000, Math.floor(calls / 5)));
  const started = performance.now();
  const failures: string[] = [];

  const timers = countTimers();
  const before = { resources: resources(), listeners: processListeners(), osThreads: osThreads() };
  const sup = new Supervisor();
  const workerTimeoutMs = options.workerTimeoutMs ?? 200;
  for (const [name, config] of Object.entries(SERVICES)) {
    const o: ServiceOptions = config.options;
    sup.register(
      name,
      name === 'inline' ? o : { ...o, breaker: { ...o.breaker, callTimeoutMs: workerTimeoutMs } },
    );
  }

  // ---- events: exactly one per transition, in order, per service
  const lastEvent = new Map<string, { to: string; generation: number }>();
  const transitions: Record<string, number> = {};
  let events = 0;
  sup.on('stateChange', (e: StateChangeEvent) => {
    events++;
    const prev = lastEvent.get(e.service) ?? { to: 'closed', generation: 0 };
    if (e.from !== prev.to || e.generation !== prev.generation + 1 || e.from === e.to) {
      failures.push(
        `event out of order for ${e.service}: ${e.from}→${e.to} gen ${e.generation} after ${prev.to} gen ${prev.generation}`,
      );
    }
    lastEvent.set(e.service, { to: e.to, generation: e.generation });
    const key = `${e.from}→${e.to}`;
    transitions[key] = (transitions[key] ?? 0) + 1;
  });

  // ---- calls: every one settles exactly once, with an outcome we can name
  const settledFlags = new Uint8Array(calls);
  const outcomes: Record<string, number> = {};
  const issuedPer: Record<string, number> = {};
  let issued = 0;
  let settled = 0;
  let paused: Promise<void> | undefined;
  let inFlight = 0;
  let nextCheckpoint = checkpointEvery;
  let drained: (() => void) | undefined;
  const byKind: Record<string, Record<string, number>> = {};
  const timingViolations: string[] = [];
  const count = (plan: Plan, key: string): void => {
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    const k = `${plan.service}/${plan.kind}`;
    const tally = byKind[k] ?? {};
    tally[key] = (tally[key] ?? 0) + 1;
    byKind[k] = tally;
  };
  const settle = (i: number, plan: Plan, ok: boolean, value: unknown, t0: number, state: string): void => {
    if (settledFlags[i] !== 0) failures.push(`call ${i} settled twice`);
    settledFlags[i] = 1;
    settled++;
    let key: string;
    if (ok) {
      if (value !== i)
        failures.push(`call ${i} (${plan.service}/${plan.kind}) resolved with ${String(value)}`);
      key = 'value';
    } else {
      const code = (value as { code?: unknown } | null)?.code;
      if (code === 'E_SOAK') key = 'handler error';
      else if (typeof code === 'string' && ALLOWED_CODES.has(code)) key = code;
      else {
        failures.push(
          `call ${i} (${plan.service}/${plan.kind}) rejected with an unexpected error: ${String(value)}`,
        );
        return;
      }
    }
    count(plan, key);
    if (
      !EXPECTED[plan.kind].has(key) &&
      !PROTECTION.has(key) &&
      !(plan.service === 'batched' && key === 'ERR_WORKER_CRASHED')
    ) {
      const what = `call ${i} (${plan.service}/${plan.kind}, issued while ${state}) ended with ${key} after ${(performance.now() - t0).toFixed(1)} ms`;
      // A late answer accepted after the call's timeout, or an answer that timed out: the outcome
      // contradicts the call's timeout (RELIABILITY.md 1: settles within its timeout).
      const timing = (plan.kind === 'hang' && key === 'value') || key === 'ERR_CALL_TIMEOUT';
      if (timing) timingViolations.push(what);
      else failures.push(what);
    }
  };
  const issue = (i: number): Promise<void> => {
    const plan = planCall(i, seed, calls, faults);
    issuedPer[plan.service] = (issuedPer[plan.service] ?? 0) + 1;
    const t0 = performance.now();
    const state = sup.state(plan.service);
    const p =
      plan.service === 'inline'
        ? sup.run('inline', plan.work as () => Promise<number>)
        : sup.call(plan.service, plan.kind, [i]);
    return p.then(
      (v) => settle(i, plan, true, v, t0, state),
      (e: unknown) => settle(i, plan, false, e, t0, state),
    );
  };
  const lane = async (): Promise<void> => {
    for (;;) {
      while (paused !== undefined) await paused;
      if (issued >= calls) return;
      const i = issued++;
      inFlight++;
      await issue(i);
      inFlight--;
      if (inFlight === 0) drained?.();
      if (settled >= nextCheckpoint) {
        nextCheckpoint += checkpointEvery;
        checkpoint(settled);
      }
      // Callers that only ever await promises that are already settled (an open breaker rejects
      // at once) never let the event loop reach its timers. A server yields between requests;
      // so do the soak's callers, every 16 calls. (Without it, a call timeout can lose the race
      // against the work's own late answer: see bench/profile/late-deadline.ts.)
      if ((i & 15) === 15) await yieldToLoop();
    }
  };

  const poolThreads = (): string =>
    (['worker', 'batched'] as const).map((n) => sup.metrics(n).pool?.threads ?? -1).join('/');
  const checkpoint = (n: number): void => {
    const p = probe();
    log(
      `[${String(Math.round((100 * n) / calls)).padStart(3)}% ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] settled ${n.toLocaleString('en-US')} | heap ${formatBytes(p.heapBytes)} | threads os ${p.osThreads} pools ${poolThreads()} | handles ${Object.values(p.resources).reduce((a, b) => a + b, 0)} | timers ${timers.live()} | events ${events}`,
    );
  };

  /** Stops issuing, waits for in-flight calls to settle and every pool to be at full strength. */
  const quiesce = async (): Promise<ProcessProbe> => {
    let resume: () => void = () => {};
    paused = new Promise((r) => {
      resume = r;
    });
    if (inFlight > 0) await new Promise<void>((r) => (drained = r));
    drained = undefined;
    await poolsAtStrength();
    await threadsSteady();
    const p = probe();
    const go = resume;
    paused = undefined;
    go();
    return p;
  };
  /** The soak's own slow inline work (answering after its timeout) holds timers; let it finish. */
  const lateWorkDone = async (): Promise<void> => {
    for (let waited = 0; lateWork.pending > 0 && waited < 5_000; waited += 5) await sleep(5);
  };
  const poolsAtStrength = async (): Promise<void> => {
    await lateWorkDone();
    for (let waited = 0; waited < 15_000; waited += 20) {
      if (
        (['worker', 'batched'] as const).every(
          (n) => (sup.metrics(n).pool?.threads ?? 0) === SERVICES[n].threads,
        )
      ) {
        return;
      }
      await sleep(20);
    }
    failures.push(`pools did not return to strength within 15 s: threads ${poolThreads()}`);
  };

  /**
   * Waits (up to STEADY_MAX_MS) until the OS thread count and the handle count have not changed for
   * STEADY_MS while the pools are at strength. A pool's count includes a terminated thread until its
   * 'exit' reaches this thread, but the OS thread can be gone before that and its replacement not
   * started yet: a baseline read then is one thread (and its ports) low per pool, and the end of the
   * run looks like a leak. That is our reading of a loaded CI run that failed with 16 after warm-up
   * and 17 at the end (not reproduced since); should it recur, the failure lists the threads started
   * after warm-up and their age.
   */
  const threadsSteady = async (): Promise<void> => {
    const reading = (): string =>
      `${osThreads()}|${process.getActiveResourcesInfo().length}|${poolThreads()}`;
    let last = reading();
    let since = performance.now();
    for (const t0 = since; performance.now() - t0 < STEADY_MAX_MS; ) {
      await sleep(20);
      const now = reading();
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (performance.now() - since >= STEADY_MS) {
        return;
      }
    }
    log(`threads and handles did not hold still for ${STEADY_MS} ms within ${STEADY_MAX_MS} ms: ${last}`);
  };

  // ---- watchdog: a call that never settles must fail the soak, not hang it — nor let node exit
  // quietly: pool threads are unref'd, so a stuck pool leaves nothing keeping the loop alive.
  let reportStall: (why: string) => void = () => {};
  const stall = new Promise<'stalled'>((resolve) => {
    reportStall = (why) => {
      failures.push(why);
      resolve('stalled');
    };
  });
  let lastSettled = -1;
  let quietSince = performance.now();
  const watchdog = setInterval(() => {
    if (settled !== lastSettled) {
      lastSettled = settled;
      quietSince = performance.now();
    } else if (inFlight > 0 && performance.now() - quietSince > stallMs) {
      reportStall(
        `stalled: no call settled for ${stallMs / 1000} s; ${inFlight} in flight, ${settled} of ${issued} issued settled; ${diagnose()}`,
      );
      quietSince = Number.POSITIVE_INFINITY;
    }
  }, 250);
  const diagnose = (): string =>
    (Object.keys(SERVICES) as ServiceName[])
      .map((n) => {
        const m = sup.metrics(n);
        const p = m.pool;
        return `${n}: state ${m.state}, inFlight ${m.inFlight}${p === undefined ? '' : `, pool threads ${p.threads} queued ${p.queued} running ${p.running} restarts ${p.restarts} crashes ${p.crashes} terminations ${p.terminations} broken ${p.broken}`}`;
      })
      .join('; ');
  /** Gives up after a stall: closes the supervisor (settling what is left) and reports. */
  const stalledReport = async (): Promise<SoakReport> => {
    clearInterval(watchdog);
    await sup.close();
    timers.uninstall();
    return {
      ok: false,
      failures,
      calls,
      settled,
      outcomes,
      timing: timingViolations,
      byKind,
      services: {},
      transitions,
      events,
      heap: { afterWarmup: 0, end: 0, growth: 0, limit: heapLimit },
      threads: { osBefore: before.osThreads, osAfterWarmup: -1, osEnd: -1, osAfterClose: osThreads() },
      durationMs: Math.round(performance.now() - started),
    };
  };

  // ---- run: warm-up, baseline, the rest, then the checks
  const lanes: Promise<void>[] = [];
  let afterWarmup: ProcessProbe | undefined;
  let warmTids = new Set<number>();
  const warmGate = new Promise<void>((resolve) => {
    const watch = async (): Promise<void> => {
      while (settled < warmup && issued < calls) await sleep(5);
      resolve();
    };
    void watch();
  });
  for (let l = 0; l < concurrency; l++) lanes.push(lane());
  if ((await Promise.race([warmGate.then(() => 'ok' as const), stall])) === 'stalled') return stalledReport();
  const warm = await Promise.race([quiesce(), stall]);
  if (warm === 'stalled') return stalledReport();
  afterWarmup = warm;
  warmTids = threadIds();
  log(
    `warm-up done after ${settled.toLocaleString('en-US')} calls: heap ${formatBytes(afterWarmup.heapBytes)}, os threads ${afterWarmup.osThreads}`,
  );
  const allLanes = Promise.all(lanes);
  if ((await Promise.race([allLanes.then(() => 'done' as const), stall])) === 'stalled')
    return stalledReport();
  clearInterval(watchdog);
  for (let i = 0; i < calls; i++) {
    if (settledFlags[i] === 0) {
      failures.push(`call ${i} never settled${failures.length > 20 ? ' (and more)' : ''}`);
      if (failures.length > 20) break;
    }
  }
  await poolsAtStrength();
  const end = probe();
  checkpoint(settled);

  // Threads: pools back at strength (poolsAtStrength, above) and no OS thread more than after
  // warm-up: a replaced thread that is still exiting gets up to EXIT_WAIT_MS. Fewer is not a leak: the
  // warm-up probe can catch a terminated thread on its way out (seen under a loaded CI machine).
  const osEnd = await osThreadsDownTo(afterWarmup.osThreads, end.osThreads);
  if (osEnd > afterWarmup.osThreads) {
    const grew = newThreads(warmTids, threadIds());
    failures.push(
      `OS thread count grew: ${afterWarmup.osThreads} after warm-up, ${osEnd} at the end; pools ${poolThreads()}; new since warm-up: ${grew.join(', ') || 'none'}`,
    );
  }
  const growth = end.heapBytes - afterWarmup.heapBytes;
  if (growth > heapLimit) {
    failures.push(`heap grew ${formatBytes(growth)} after warm-up (bound ${formatBytes(heapLimit)})`);
  }
  // Like threads, a thread replaced just before the end holds its ports until it is up: up to EXIT_WAIT_MS.
  const grown = await handlesDownTo(afterWarmup.resources, end.resources);
  if (grown.length > 0) failures.push(`active handles grew during the run: ${grown.join(', ')}`);

  // Events == transitions: the last event of each service matches its breaker's generation and state.
  const snapshot = sup.snapshot();
  for (const name of Object.keys(SERVICES)) {
    const b = snapshot.services[name];
    const last = lastEvent.get(name) ?? { to: 'closed', generation: 0 };
    if (b === undefined || b.generation !== last.generation || b.state !== last.to) {
      failures.push(
        `${name}: events say ${last.to} gen ${last.generation}, breaker is ${b?.state} gen ${b?.generation} (events != transitions)`,
      );
    }
  }
  // Every outcome counted once.
  const services: Record<string, { issued: number; metrics: Record<string, unknown> }> = {};
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    const m = sup.metrics(name);
    services[name] = { issued: issuedPer[name] ?? 0, metrics: { ...m } };
    if (m.totalRequests !== (issuedPer[name] ?? 0)) {
      failures.push(`${name}: totalRequests ${m.totalRequests} != calls issued ${issuedPer[name] ?? 0}`);
    }
    // Late results are a subset: a call admitted in one generation and finished in another is
    // counted as its success or failure and, in addition, as late.
    const accounted = m.successfulRequests + m.failedRequests + m.rejectedRequests + m.abortedRequests;
    if (accounted !== m.totalRequests) {
      failures.push(
        `${name}: successful ${m.successfulRequests} + failed ${m.failedRequests} + rejected ${m.rejectedRequests} + aborted ${m.abortedRequests} = ${accounted} != total ${m.totalRequests}`,
      );
    }
    if (m.lateResults > m.successfulRequests + m.failedRequests) {
      failures.push(
        `${name}: ${m.lateResults} late results but only ${m.successfulRequests + m.failedRequests} outcomes`,
      );
    }
    if (m.inFlight !== 0)
      failures.push(`${name}: ${m.inFlight} calls still in flight after every call settled`);
  }
  // What callers saw, against what the counters say (summed over services).
  const sum = (f: (m: ReturnType<Supervisor['metrics']>) => number): number =>
    Object.keys(SERVICES).reduce((n, s) => n + f(sup.metrics(s)), 0);
  const seen = (...codes: string[]): number => codes.reduce((n, c) => n + (outcomes[c] ?? 0), 0);
  const pairs: [string, number, number][] = [
    ['rejections', seen('ERR_CIRCUIT_OPEN', 'ERR_HALF_OPEN_FULL'), sum((m) => m.rejectedRequests)],
    ['successes', seen('value'), sum((m) => m.successfulRequests)],
    [
      'failures',
      seen('handler error', 'ERR_CALL_TIMEOUT', 'ERR_WORKER_CRASHED'),
      sum((m) => m.failedRequests),
    ],
    ['timeouts', seen('ERR_CALL_TIMEOUT'), sum((m) => m.timedOutRequests)],
  ];
  for (const [what, callers, counters] of pairs) {
    if (callers !== counters) failures.push(`callers saw ${callers} ${what}, metrics count ${counters}`);
  }

  // After close: no timers, handles, listeners or threads left.
  await sup.close();
  await sleep(0);
  const timersLeft = timers.live();
  timers.uninstall();
  if (timersLeft > 0) failures.push(`${timersLeft} timer(s) still live after close()`);
  if (sup.listenerCount('stateChange') !== 0) failures.push('supervisor listeners left after close()');
  const osAfterClose = await osThreadsDownTo(before.osThreads, osThreads());
  if (osAfterClose > before.osThreads) {
    failures.push(`OS threads after close(): ${osAfterClose}, before the supervisor: ${before.osThreads}`);
  }
  const left = grownResources(before.resources, resources());
  if (left.length > 0) failures.push(`handles left after close(): ${left.join(', ')}`);
  const listenersAfter = processListeners();
  if (listenersAfter > before.listeners) {
    failures.push(`process listeners grew: ${before.listeners} before, ${listenersAfter} after close()`);
  }
  if (settled !== calls) failures.push(`${calls - settled} of ${calls} calls never settled`);
  if (options.strictTiming !== false) failures.push(...timingViolations);
  return {
    ok: failures.length === 0,
    failures,
    calls,
    settled,
    outcomes,
    timing: timingViolations,
    byKind,
    services,
    transitions,
    events,
    heap: { afterWarmup: afterWarmup.heapBytes, end: end.heapBytes, growth, limit: heapLimit },
    threads: {
      osBefore: before.osThreads,
      osAfterWarmup: afterWarmup.osThreads,
      osEnd,
      osAfterClose,
    },
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * How long a terminated or retired thread may take to be gone (OS thread, ports) before it counts
 * as a leak. 5 s was not always enough while the whole suite ran beside the soak on 2 cores (the
 * thread count read 2 above the warm-up's once, and passed alone and in the next run); the wait
 * ends as soon as the count is back, so only a real leak pays it in full.
 */
const EXIT_WAIT_MS = 15_000;

/** How long the thread and handle counts must hold still before the warm-up baseline is read. */
const STEADY_MS = 300;
const STEADY_MAX_MS = 5_000;

/** Grown handles once none is above `bound`, or what is still above it after EXIT_WAIT_MS. */
async function handlesDownTo(
  bound: Readonly<Record<string, number>>,
  now: Readonly<Record<string, number>>,
): Promise<string[]> {
  let grown = grownResources(bound, now);
  for (let waited = 0; grown.length > 0 && waited < EXIT_WAIT_MS; waited += 20) {
    await sleep(20);
    grown = grownResources(bound, resources());
  }
  return grown;
}

/**
 * The OS thread count once it is at most `bound`, or after EXIT_WAIT_MS: a thread that was
 * terminated or retired can take a moment to exit. `now` is a reading just taken.
 */
async function osThreadsDownTo(bound: number, now: number): Promise<number> {
  let count = now;
  for (let waited = 0; count > bound && waited < EXIT_WAIT_MS; waited += 20) {
    await sleep(20);
    count = osThreads();
  }
  return count;
}
